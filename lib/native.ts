// The generated native module (napi CLI output at the package root).
export { NativeSqlite, NativePostgres, generateDdl, contributionTables, setAppClock, sqliteGetNode, sqliteQueryPlan } from "../index.js";
