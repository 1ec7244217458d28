// Props validation helpers of the schema entry: zod parsing that fails with
// TypeGraph's ValidationError (path, message and code per issue).

import type { z } from "zod";
import { ValidationError, type ValidationIssue } from "./errors.js";

export interface ValidationContext {
  readonly entityType: "node" | "edge";
  readonly kind: string;
  readonly operation: "create" | "update";
  readonly id?: string;
}

function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
}
const where = (c: ValidationContext) => (c.id === undefined ? `new ${c.kind}` : `${c.kind}/${c.id}`);
const detailsOf = (c: ValidationContext, issues: ValidationIssue[]) => ({
  entityType: c.entityType,
  kind: c.kind,
  operation: c.operation,
  ...(c.id === undefined ? {} : { id: c.id }),
  issues,
});

/** Parses `props` with `schema`; ValidationError (per-issue paths) when they don't fit. */
export function validateProps<T>(schema: z.ZodType<T>, props: unknown, context: ValidationContext): T {
  const result = schema.safeParse(props);
  if (result.success) return result.data;
  throw new ValidationError(`Invalid ${context.entityType} props for ${where(context)}: ${result.error.message}`, detailsOf(context, issuesOf(result.error)), {
    cause: result.error,
  });
}
export function validateNodeProps<T>(schema: z.ZodType<T>, props: unknown, context: Omit<ValidationContext, "entityType">): T {
  return validateProps(schema, props, { entityType: "node", ...context });
}
export function validateEdgeProps<T>(schema: z.ZodType<T>, props: unknown, context: Omit<ValidationContext, "entityType">): T {
  return validateProps(schema, props, { entityType: "edge", ...context });
}
/** A ZodError as TypeGraph's ValidationError. */
export function wrapZodError(error: z.ZodError, context: ValidationContext): ValidationError {
  return new ValidationError(`Validation failed for ${context.entityType} ${where(context)}: ${error.message}`, detailsOf(context, issuesOf(error)), {
    cause: error,
  });
}
/** A ValidationError for a rule outside any zod schema. */
export function createValidationError(message: string, issues: ValidationIssue[], context: Partial<ValidationContext> = {}): ValidationError {
  return new ValidationError(message, {
    ...(context.entityType === undefined ? {} : { entityType: context.entityType }),
    ...(context.kind === undefined ? {} : { kind: context.kind }),
    ...(context.operation === undefined ? {} : { operation: context.operation }),
    ...(context.id === undefined ? {} : { id: context.id }),
    issues,
  });
}
