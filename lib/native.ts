// The generated native module (napi CLI output at the package root).
export { NativeSqlite, NativePostgres, generateDdl } from "../index.js";
