//! The PostgreSQL handle: a sqlx pool on napi's tokio runtime; explicit
//! transactions hold one pooled connection between calls.
//!
//! Calls, `begin`, `commit` and `rollback` start on the calling (JavaScript) thread when the
//! backend's inline budget is above zero: the statement is sent from there and the thread waits
//! at most that budget for the answer (parked, woken by the runtime's I/O driver), so a local
//! point operation costs one wake-up instead of a hop to a worker thread and a second one back
//! through the event loop. Work not finished within the budget (bulk writes, lock waits, a
//! remote or slow server) moves to the runtime as it is and the call returns a promise, so the
//! event loop is never held longer than the budget. With a budget of zero (the default) no call
//! waits for the server on the JavaScript thread: a point call takes its first step there
//! (checkout, the statement sent) and moves to tokio on its first wake-up, spawned from the
//! thread that wakes it (`first_step`); bulk input goes to tokio whole.

use crate::error::{disposed, to_napi};
use crate::sqlite::parse_tables;
use napi::bindgen_prelude::{Either, Function, PromiseRaw};
use napi::{Env, JsValue};
use napi_derive::napi;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Postgres;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use typegraph_core::exec::postgres::{PgExec, PgSession};
use typegraph_core::exec::Executor;
use typegraph_core::ops::{self, Ctx};
use typegraph_core::{Graph, Tables};

struct TxConn {
    conn: Conn,
    depth: u32,
}

/// A pooled connection with the session settings the engine left on it. One whose settings are
/// not the defaults is closed when dropped rather than handed back to the pool as it is, so a
/// connection from the pool always starts from the defaults.
struct Conn {
    pc: PoolConnection<Postgres>,
    session: PgSession,
}

impl Conn {
    fn new(pc: PoolConnection<Postgres>) -> Self {
        Conn {
            pc,
            session: PgSession::default(),
        }
    }

    fn exec<'a>(&'a mut self, depth: &'a mut u32) -> PgExec<'a> {
        PgExec {
            conn: &mut self.pc,
            depth,
            session: &mut self.session,
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if !self.session.is_default() {
            self.pc.close_on_drop();
        }
    }
}

type Tx = Arc<tokio::sync::Mutex<TxConn>>;

/// The pool and the connections kept for reuse, shared with the futures of running calls.
struct Shared {
    pool: Mutex<Option<PgPool>>,
    /// Connections a call or transaction finished with cleanly, kept checked out of the pool and
    /// reused by the next call, with the instant each was kept. Handing one back to sqlx's pool
    /// costs a Sync round trip (its release test) per call; a connection whose call failed goes
    /// back through the pool instead. One kept longer than `idle_timeout` is closed.
    idle: Mutex<Vec<(Conn, Instant)>>,
    /// Calls waiting for a connection from the pool (changed under the `idle` lock). While any
    /// waits, a finished connection goes back to the pool instead of being kept, so a pool
    /// smaller than the calls started together never leaves a call waiting on a connection
    /// parked in `idle` until the pool's acquire timeout.
    waiting: AtomicUsize,
    idle_timeout: Duration,
}

#[napi]
pub struct NativePostgres {
    shared: Arc<Shared>,
    graphs: Mutex<Vec<Arc<(Graph, Tables)>>>,
    txs: Arc<Mutex<HashMap<u32, Tx>>>,
    next_tx: AtomicU32,
    rt: tokio::runtime::Handle,
    /// How long a call may hold the JavaScript thread before it moves to the runtime (zero: never).
    budget: Duration,
}

/// How many cleanly finished connections are kept for reuse (the rest go back to the pool).
const IDLE_KEPT: usize = 4;
/// Default of how long a call may hold the JavaScript thread before it moves to the runtime:
/// zero, every call async on tokio (inline calls are an opt-in of the backend).
const INLINE_BUDGET_MS: f64 = 0.0;
/// Statements each connection keeps prepared by name unless the URL says otherwise.
const STATEMENT_CACHE: usize = 256;
/// Default idle time after which a kept or pooled connection is closed.
const IDLE_TIMEOUT_MS: u32 = 10_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

type BoxFut<T> = Pin<Box<dyn Future<Output = napi::Result<T>> + Send>>;

/// Wakes the JavaScript thread parked in [`drive`].
struct ThreadWake {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Polls `fut` on this thread (inside the runtime's context, its I/O driven by the runtime's
/// workers) until it finishes or `budget` runs out; `None` leaves it pending.
fn drive<T>(
    rt: &tokio::runtime::Handle,
    fut: &mut BoxFut<T>,
    budget: Duration,
) -> Option<napi::Result<T>> {
    let _entered = rt.enter();
    let wake = Arc::new(ThreadWake {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(wake.clone());
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + budget;
    loop {
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
        match polled {
            Ok(Poll::Ready(v)) => return Some(v),
            Ok(Poll::Pending) => {}
            Err(_) => {
                return Some(Err(napi::Error::from_reason(
                    "typegraph: the operation panicked",
                )))
            }
        }
        while !wake.woken.swap(false, Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::park_timeout(deadline - now);
        }
    }
}

/// Operations of this process that outlasted the inline budget and are still running on the
/// runtime. While any is, new ones go straight to the runtime: a burst of slow calls started
/// together then runs side by side instead of each holding the JavaScript thread in turn.
static ON_RUNTIME: AtomicUsize = AtomicUsize::new(0);

/// A zero-budget call's first step on this thread ([`Deferred`]): the statement is sent from
/// here and the rest of the call moves to the runtime when the first wake-up comes.
fn first_step<'env, T: Send + 'static + napi::bindgen_prelude::ToNapiValue>(
    env: &'env Env,
    rt: &tokio::runtime::Handle,
    mut fut: BoxFut<T>,
) -> napi::Result<PromiseRaw<'env, T>> {
    let (deferred, promise) = env.create_deferred::<T, Resolve<T>>()?;
    let promise = PromiseRaw::new(env.raw(), promise.raw());
    let d = Arc::new(Deferred {
        stage: Mutex::new(Stage::First { woken: false }),
        deferred: Mutex::new(Some(deferred)),
        rt: rt.clone(),
    });
    let waker = Waker::from(d.clone());
    let polled = {
        let _entered = rt.enter();
        let mut cx = Context::from_waker(&waker);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)))
    };
    let done = match polled {
        Ok(Poll::Ready(v)) => Some(v),
        Ok(Poll::Pending) => None,
        Err(_) => Some(Err(napi::Error::from_reason(
            "typegraph: the operation panicked",
        ))),
    };
    match done {
        Some(v) => {
            *lock(&d.stage) = Stage::Moved;
            if let Some(dd) = lock(&d.deferred).take() {
                match v {
                    Ok(v) => dd.resolve(Box::new(move |_| Ok(v))),
                    Err(e) => dd.reject(e),
                }
            }
        }
        None => {
            let mut stage = lock(&d.stage);
            if matches!(*stage, Stage::First { woken: true }) {
                *stage = Stage::Moved;
                drop(stage);
                d.run(fut);
            } else {
                *stage = Stage::Parked(fut);
            }
        }
    }
    Ok(promise)
}

/// How much call input a call may have for its first step to run on the JavaScript thread with
/// a zero budget ([`first_step`]): point operations; bulk input is parsed on the runtime.
const FIRST_POLL_INPUT: usize = 16 * 1024;

/// Runs `fut` inline under the budget; what is left of it finishes on the runtime behind a
/// promise. With no budget, a call whose input is at most [`FIRST_POLL_INPUT`] (`small`) still
/// takes its first step here: the statement leaves without waiting for a worker thread to wake,
/// and the call never waits for the server on this thread.
fn settle<'env, T: Send + 'static + napi::bindgen_prelude::ToNapiValue>(
    env: &'env Env,
    rt: &tokio::runtime::Handle,
    budget: Duration,
    mut fut: BoxFut<T>,
    small: bool,
) -> napi::Result<Either<T, PromiseRaw<'env, T>>> {
    if !budget.is_zero() && ON_RUNTIME.load(Ordering::Acquire) == 0 {
        if let Some(v) = drive(rt, &mut fut, budget) {
            return v.map(Either::A);
        }
    } else if budget.is_zero() && small {
        return first_step(env, rt, fut).map(Either::B);
    }
    let guard = OnRuntime::enter();
    let counted = async move {
        let _counted = guard;
        fut.await
    };
    env.spawn_future(counted).map(Either::B)
}

/// A call's future between its first step on the JavaScript thread and its run on the runtime.
enum Stage<T> {
    /// Being polled on the JavaScript thread; `woken` records a wake-up meanwhile.
    First { woken: bool },
    /// Waiting for its first wake-up, which moves it to the runtime.
    Parked(BoxFut<T>),
    /// On the runtime (or finished): later wake-ups of this waker are stale.
    Moved,
}

type Resolve<T> = Box<dyn FnOnce(Env) -> napi::Result<T> + Send>;

/// The waker of a call's first step: its first wake-up (the server's answer arriving, a pooled
/// connection freed, a timer) spawns the rest of the call on the runtime from the waking thread,
/// so a call costs no worker wake-up of its own while it waits for the server.
struct Deferred<T: Send + 'static + napi::bindgen_prelude::ToNapiValue> {
    stage: Mutex<Stage<T>>,
    deferred: Mutex<Option<napi::JsDeferred<T, Resolve<T>>>>,
    rt: tokio::runtime::Handle,
}

impl<T: Send + 'static + napi::bindgen_prelude::ToNapiValue> Deferred<T> {
    fn run(self: &Arc<Self>, fut: BoxFut<T>) {
        let this = self.clone();
        let guard = OnRuntime::enter();
        self.rt.spawn(async move {
            let _counted = guard;
            let out = CatchPanic(fut).await;
            if let Some(d) = lock(&this.deferred).take() {
                match out {
                    Ok(v) => d.resolve(Box::new(move |_| Ok(v))),
                    Err(e) => d.reject(e),
                }
            }
        });
    }
}

impl<T: Send + 'static + napi::bindgen_prelude::ToNapiValue> Wake for Deferred<T> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let mut stage = lock(&self.stage);
        match &mut *stage {
            Stage::First { woken } => *woken = true,
            Stage::Parked(_) => {
                let Stage::Parked(fut) = std::mem::replace(&mut *stage, Stage::Moved) else {
                    unreachable!()
                };
                drop(stage);
                self.run(fut);
            }
            Stage::Moved => {}
        }
    }
}

/// A future whose panic becomes an error.
struct CatchPanic<T>(BoxFut<T>);

impl<T> Future for CatchPanic<T> {
    type Output = napi::Result<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(_) => Poll::Ready(Err(napi::Error::from_reason(
                "typegraph: the operation panicked",
            ))),
        }
    }
}

/// One operation counted in [`ON_RUNTIME`] until it finishes or is dropped.
struct OnRuntime;

impl OnRuntime {
    fn enter() -> Self {
        ON_RUNTIME.fetch_add(1, Ordering::AcqRel);
        OnRuntime
    }
}

impl Drop for OnRuntime {
    fn drop(&mut self) {
        ON_RUNTIME.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Shared {
    async fn acquire(&self) -> napi::Result<Conn> {
        let pool = lock(&self.pool).clone().ok_or_else(disposed)?;
        {
            let mut idle = lock(&self.idle);
            if let Some((conn, _)) = idle.pop() {
                return Ok(conn);
            }
            self.waiting.fetch_add(1, Ordering::AcqRel);
        }
        let waited = Waiting(&self.waiting);
        let pc = pool.acquire().await.map_err(|e| to_napi(e.into()));
        drop(waited);
        Ok(Conn::new(pc?))
    }

    /// Keeps a connection whose work finished cleanly (no transaction left open) for the next call.
    fn keep(&self, conn: Conn) {
        if lock(&self.pool).is_none() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE_KEPT && self.waiting.load(Ordering::Acquire) == 0 {
            idle.push((conn, Instant::now()));
        }
        // Otherwise dropped here: back to the pool, to a waiting call (or closed when its
        // session settings are not the defaults).
    }

    /// [`Shared::keep`], with the session settings put back first (one round trip) when the
    /// connection is about to go back to the pool rather than be kept: a pooled connection
    /// whose settings are not the defaults would be closed, and the call waiting for it would
    /// connect anew (statements prepared again).
    async fn keep_settled(&self, mut conn: Conn) {
        let to_pool =
            self.waiting.load(Ordering::Acquire) > 0 || lock(&self.idle).len() >= IDLE_KEPT;
        if to_pool && !conn.session.is_default() {
            let mut depth = 0;
            // On failure the settings stay marked as changed and the connection is closed.
            let _ = conn.exec(&mut depth).restore_defaults().await;
        }
        self.keep(conn);
    }

    /// Closes kept connections idle longer than the timeout (they hold server backends).
    fn sweep(&self) -> Vec<Conn> {
        let mut idle = lock(&self.idle);
        let now = Instant::now();
        let (stale, fresh): (Vec<_>, Vec<_>) = std::mem::take(&mut *idle)
            .into_iter()
            .partition(|(_, at)| now.duration_since(*at) >= self.idle_timeout);
        *idle = fresh;
        stale.into_iter().map(|(c, _)| c).collect()
    }
}

/// One call counted in [`Shared::waiting`] until its pool checkout ends (or is dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Closes stale kept connections until the handle is gone or closed.
async fn sweeper(shared: Weak<Shared>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(s) = shared.upgrade() else { return };
        if lock(&s.pool).is_none() {
            return;
        }
        let stale = s.sweep();
        drop(s);
        for mut c in stale {
            // Closed, not handed back to the pool (the pool's own idle timeout is the same).
            c.pc.close_on_drop();
        }
    }
}

fn unknown_graph() -> napi::Error {
    napi::Error::from_reason("unknown graph handle")
}

fn tx_closed() -> napi::Error {
    to_napi(typegraph_core::Error::new(
        typegraph_core::Code::TransactionClosed,
        "Transaction is closed: the statement ran after the transaction boundary returned",
        serde_json::json!({}),
    ))
}

#[napi]
impl NativePostgres {
    /// Connects a pool (at most `max_connections`) to a `postgres://` URL; connections idle
    /// longer than `idle_timeout_ms` (default 10 s) are closed; calls hold the JavaScript thread
    /// at most `inline_budget_ms` (default 0: always async on tokio).
    #[napi(factory, catch_unwind)]
    pub async fn connect(
        url: String,
        max_connections: Option<u32>,
        idle_timeout_ms: Option<u32>,
        inline_budget_ms: Option<f64>,
    ) -> napi::Result<NativePostgres> {
        let budget_ms = inline_budget_ms.unwrap_or(INLINE_BUDGET_MS);
        let budget = if budget_ms.is_finite() && budget_ms > 0.0 {
            Duration::from_secs_f64(budget_ms.min(60_000.0) / 1000.0)
        } else {
            Duration::ZERO
        };
        let idle_timeout =
            Duration::from_millis(u64::from(idle_timeout_ms.unwrap_or(IDLE_TIMEOUT_MS).max(1)));
        // No ping before each checkout: a broken connection surfaces as a database error on use,
        // and the extra round trip would double the cost of every point operation.
        // Every statement of the engine is kept by name per connection (`exec::postgres`): room
        // for more than sqlx's default 100, since each eviction costs a round trip of its own
        // (a URL's `statement-cache-capacity` still decides).
        let mut options: sqlx::postgres::PgConnectOptions =
            url.parse().map_err(|e: sqlx::Error| to_napi(e.into()))?;
        if !url.contains("statement-cache-capacity") {
            options = options.statement_cache_capacity(STATEMENT_CACHE);
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.unwrap_or(10))
            .test_before_acquire(false)
            .min_connections(0)
            .idle_timeout(Some(idle_timeout))
            .connect_with(options)
            .await
            .map_err(|e| to_napi(e.into()))?;
        let shared = Arc::new(Shared {
            pool: Mutex::new(Some(pool)),
            idle: Mutex::new(Vec::new()),
            waiting: AtomicUsize::new(0),
            idle_timeout,
        });
        let every = (idle_timeout / 2).clamp(Duration::from_millis(50), Duration::from_secs(5));
        tokio::spawn(sweeper(Arc::downgrade(&shared), every));
        Ok(NativePostgres {
            shared,
            graphs: Mutex::new(Vec::new()),
            txs: Arc::new(Mutex::new(HashMap::new())),
            next_tx: AtomicU32::new(1),
            rt: tokio::runtime::Handle::current(),
            budget,
        })
    }

    #[napi]
    pub fn register(
        &self,
        graph_json: String,
        table_names_json: Option<String>,
    ) -> napi::Result<u32> {
        let graph = Graph::from_json(&graph_json).map_err(to_napi)?;
        let tables = parse_tables(table_names_json)?;
        let mut g = lock(&self.graphs);
        g.push(Arc::new((graph, tables)));
        Ok((g.len() - 1) as u32)
    }

    #[napi]
    pub async fn bootstrap(&self, table_names_json: Option<String>) -> napi::Result<()> {
        let tables = parse_tables(table_names_json)?;
        let mut conn = self.shared.acquire().await?;
        let mut depth = 0;
        let mut ex = conn.exec(&mut depth);
        ops::schema::bootstrap(&mut ex, &tables)
            .await
            .map_err(to_napi)
    }

    /// Runs one engine operation, inside transaction `tx` when given: the result, or a promise
    /// of it when the operation outlasts the inline budget.
    #[napi(ts_return_type = "string | Promise<string>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        graph: u32,
        op: String,
        args: String,
        tx: Option<u32>,
    ) -> napi::Result<Either<String, PromiseRaw<'env, String>>> {
        let args_len = args.len();
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(unknown_graph)?;
        let fut: BoxFut<String> = match tx {
            Some(id) => {
                let t = self.tx(id)?;
                Box::pin(async move {
                    let ctx = Ctx {
                        graph: &entry.0,
                        tables: &entry.1,
                    };
                    let mut t = t.lock_owned().await;
                    let TxConn { conn, depth } = &mut *t;
                    let mut ex = conn.exec(depth);
                    ops::dispatch(&mut ex, &ctx, &op, &args)
                        .await
                        .map_err(to_napi)
                })
            }
            None => {
                let shared = self.shared.clone();
                Box::pin(async move {
                    let ctx = Ctx {
                        graph: &entry.0,
                        tables: &entry.1,
                    };
                    let mut conn = shared.acquire().await?;
                    let mut depth = 0;
                    let mut ex = conn.exec(&mut depth);
                    let out = ops::dispatch(&mut ex, &ctx, &op, &args).await;
                    if out.is_ok() && depth == 0 {
                        shared.keep_settled(conn).await;
                    }
                    out.map_err(to_napi)
                })
            }
        };
        let small = args_len <= FIRST_POLL_INPUT;
        settle(env, &self.rt, self.budget, fut, small)
    }

    /// `bulkUpsertById` of distinct node ids in one call, inside transaction `tx` when given: the
    /// engine reads the stored rows under a row lock, calls `merge` back once with them (JSON
    /// text, on the JavaScript thread through the event loop) and writes the merged, validated
    /// items it returns (JSON text; null aborts: nothing is written and the caller throws the
    /// error it kept). Always async on tokio, whatever the inline budget: the merge step needs
    /// the JavaScript thread free.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn upsert_nodes_with<'env>(
        &self,
        env: &'env Env,
        graph: u32,
        args: String,
        merge: Function<String, Option<String>>,
        tx: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(unknown_graph)?;
        let tx = tx.map(|id| self.tx(id)).transpose()?;
        let step_fn = Arc::new(
            merge
                .build_threadsafe_function()
                .callee_handled::<false>()
                .build()?,
        );
        let shared = self.shared.clone();
        let fut = async move {
            let ctx = Ctx {
                graph: &entry.0,
                tables: &entry.1,
            };
            let mut step = |rows: String| {
                let f = step_fn.clone();
                async move {
                    match f.call_async_catch(rows).await {
                        Ok(Some(items)) => Ok(items),
                        _ => Err(typegraph_core::Error::new(
                            typegraph_core::Code::Validation,
                            "upsert aborted by its merge step",
                            serde_json::json!({ "aborted": true }),
                        )),
                    }
                }
            };
            match tx {
                Some(t) => {
                    let mut t = t.lock_owned().await;
                    let TxConn { conn, depth } = &mut *t;
                    let mut ex = conn.exec(depth);
                    ops::upsert_with::upsert_nodes_with(&mut ex, &ctx, &args, &mut step)
                        .await
                        .map_err(to_napi)
                }
                None => {
                    let mut conn = shared.acquire().await?;
                    let mut depth = 0;
                    let mut ex = conn.exec(&mut depth);
                    let out =
                        ops::upsert_with::upsert_nodes_with(&mut ex, &ctx, &args, &mut step).await;
                    if out.is_ok() && depth == 0 {
                        shared.keep_settled(conn).await;
                    }
                    out.map_err(to_napi)
                }
            }
        };
        let guard = OnRuntime::enter();
        env.spawn_future(async move {
            let _counted = guard;
            fut.await
        })
    }

    /// Compiles a query AST to `{ sql, params }` without a connection (`toSQL()`).
    #[napi]
    pub fn compile_query(&self, graph: u32, args: String) -> napi::Result<String> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(unknown_graph)?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        typegraph_core::query::parse_args(&args)
            .and_then(|a| {
                typegraph_core::query::compile_only(&ctx, typegraph_core::Dialect::Postgres, a)
            })
            .map_err(to_napi)
    }

    /// `toSQL()` before the pool is connected: compiles against a graph
    /// definition parsed for this call (no handle, no connection).
    #[napi]
    pub fn compile_query_detached(
        graph_json: String,
        table_names_json: Option<String>,
        args: String,
    ) -> napi::Result<String> {
        let graph = Graph::from_json(&graph_json).map_err(to_napi)?;
        let tables = parse_tables(table_names_json)?;
        let ctx = Ctx {
            graph: &graph,
            tables: &tables,
        };
        typegraph_core::query::parse_args(&args)
            .and_then(|a| {
                typegraph_core::query::compile_only(&ctx, typegraph_core::Dialect::Postgres, a)
            })
            .map_err(to_napi)
    }

    /// Opens a transaction on a dedicated connection; returns its handle (or a promise of it).
    #[napi(ts_return_type = "number | Promise<number>")]
    pub fn begin<'env>(&self, env: &'env Env) -> napi::Result<Either<u32, PromiseRaw<'env, u32>>> {
        let shared = self.shared.clone();
        let txs = self.txs.clone();
        let id = self.next_tx.fetch_add(1, Ordering::Relaxed);
        let fut: BoxFut<u32> = Box::pin(async move {
            let conn = shared.acquire().await?;
            let mut t = TxConn { conn, depth: 0 };
            t.conn.exec(&mut t.depth).begin().await.map_err(to_napi)?;
            lock(&txs).insert(id, Arc::new(tokio::sync::Mutex::new(t)));
            Ok(id)
        });
        settle(env, &self.rt, self.budget, fut, true)
    }

    /// `begin` with `store.transaction`'s options (`isolationLevel`, `accessMode`).
    #[napi(ts_return_type = "number | Promise<number>")]
    pub fn begin_with<'env>(
        &self,
        env: &'env Env,
        isolation_level: Option<String>,
        access_mode: Option<String>,
    ) -> napi::Result<Either<u32, PromiseRaw<'env, u32>>> {
        let options = typegraph_core::exec::tx_options::TxOptions::parse(
            isolation_level.as_deref(),
            access_mode.as_deref(),
        )
        .map_err(to_napi)?;
        let shared = self.shared.clone();
        let txs = self.txs.clone();
        let id = self.next_tx.fetch_add(1, Ordering::Relaxed);
        let fut: BoxFut<u32> = Box::pin(async move {
            let conn = shared.acquire().await?;
            let mut t = TxConn { conn, depth: 0 };
            t.conn
                .exec(&mut t.depth)
                .begin_with(&options)
                .await
                .map_err(to_napi)?;
            lock(&txs).insert(id, Arc::new(tokio::sync::Mutex::new(t)));
            Ok(id)
        });
        settle(env, &self.rt, self.budget, fut, true)
    }

    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn commit<'env>(
        &self,
        env: &'env Env,
        tx: u32,
    ) -> napi::Result<Either<(), PromiseRaw<'env, ()>>> {
        let fut = self.finish(tx, true);
        settle(env, &self.rt, self.budget, fut, true)
    }

    #[napi(ts_return_type = "void | Promise<void>")]
    pub fn rollback<'env>(
        &self,
        env: &'env Env,
        tx: u32,
    ) -> napi::Result<Either<(), PromiseRaw<'env, ()>>> {
        let fut = self.finish(tx, false);
        settle(env, &self.rt, self.budget, fut, true)
    }

    /// Runs a SQL script (no parameters).
    #[napi]
    pub async fn exec(&self, sql: String) -> napi::Result<()> {
        let mut conn = self.shared.acquire().await?;
        let mut depth = 0;
        let mut ex = conn.exec(&mut depth);
        // The connection goes back to the pool afterwards: with the defaults, not closed.
        ex.restore_defaults().await.map_err(to_napi)?;
        ex.batch(&sql).await.map_err(to_napi)
    }

    /// Runs one query with JSON-array parameters; rows as a JSON array of arrays.
    #[napi]
    pub async fn query(&self, sql: String, params_json: Option<String>) -> napi::Result<String> {
        let params = ops::rows::params_from_json(params_json.as_deref()).map_err(to_napi)?;
        let mut conn = self.shared.acquire().await?;
        let mut depth = 0;
        let mut ex = conn.exec(&mut depth);
        ex.restore_defaults().await.map_err(to_napi)?;
        let rows = ex.query(&sql, &params).await.map_err(to_napi)?;
        ops::rows::rows_json(&rows, usize::MAX).map_err(to_napi)
    }

    /// Closes the pool; later calls fail with BackendDisposedError.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let pool = lock(&self.shared.pool).take();
        lock(&self.txs).clear();
        // The registered graph definitions go with the pool (calls after close are refused).
        lock(&self.graphs).clear();
        // Kept connections count as checked out: the pool's close waits for them.
        drop(std::mem::take(&mut *lock(&self.shared.idle)));
        if let Some(p) = pool {
            p.close().await;
        }
        Ok(())
    }
}

impl NativePostgres {
    fn tx(&self, id: u32) -> napi::Result<Tx> {
        lock(&self.txs).get(&id).cloned().ok_or_else(tx_closed)
    }

    fn finish(&self, tx: u32, commit: bool) -> BoxFut<()> {
        let t = lock(&self.txs).remove(&tx);
        let shared = self.shared.clone();
        Box::pin(async move {
            let Some(t) = t else {
                return Err(tx_closed());
            };
            let mut guard = t.lock().await;
            let TxConn { conn, depth } = &mut *guard;
            let mut ex = conn.exec(depth);
            let r = if commit {
                ex.commit().await
            } else {
                ex.rollback().await
            };
            drop(guard);
            if r.is_ok() {
                // Ended cleanly and no call still holds it: the connection serves the next call.
                if let Ok(m) = Arc::try_unwrap(t) {
                    let done = m.into_inner();
                    if done.depth == 0 {
                        shared.keep_settled(done.conn).await;
                    }
                }
            }
            r.map_err(to_napi)
        })
    }
}
