// The generated native module (napi CLI output at the package root).
export { NativeSqlite, NativePostgres, generateDdl, setAppClock, sqliteGetNode, sqliteQueryPlan } from "../index.js";
