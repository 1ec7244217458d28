// Index fields given as JSON Pointer strings: "~" must be followed by 0 or 1 (RFC 6901), so a
// pointer with any other escape is refused when the index is defined, naming the bad segment;
// valid escapes still address fields whose names hold "/" or "~".
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, defineNode, defineNodeIndex } from "../dist/index.js";

const Parcel = defineNode("Parcel", {
  schema: z.object({ "a/b": z.string(), "c~d": z.number(), label: z.string() }),
});

describe("index field pointer escapes", () => {
  it("refuses a '~' not followed by 0 or 1", () => {
    for (const bad of ["/label~3", "/label~", "/~x"]) {
      let caught: unknown;
      try {
        defineNodeIndex(Parcel, { fields: [bad as never] });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigurationError);
      expect((caught as Error).message).toContain("Invalid JSON Pointer escape sequence");
      expect((caught as Error).message).toContain(bad.slice(1));
    }
  });

  it("accepts ~0 and ~1 and addresses the unescaped field names", () => {
    const index = defineNodeIndex(Parcel, { fields: ["/a~1b" as never, "/c~0d" as never] });
    expect(index.fields).toEqual(["/a~1b", "/c~0d"]);
  });
});
