//! A fault-injecting HTTP/1.1 proxy between pullpath and the emulator.
//!
//! Each request is read whole (headers and `Content-Length` or chunked body), forwarded on a
//! fresh connection to the emulator with `Connection: close`, and the emulator's whole reply
//! read; then, as the current [`Plan`] decides, the reply goes back unchanged, late, or cut
//! short (with a `Content-Length` that matches the cut), or the request gets a throttling
//! error or a 5xx in its service's protocol, or its connection is reset without a reply. The
//! client is always answered with `Connection: close`, so every request is a new connection.
//!
//! Decisions are deterministic: they depend on the plan's seed, the request (service,
//! operation and body, not the order concurrent requests arrive in) and how many times the
//! same request was seen before (its attempt), never on timing. Every request is logged with
//! what it got, for failure messages.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What one request gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// The emulator's reply, unchanged.
    Forward,
    /// A throttling error in the service's protocol (`RequestLimitExceeded`, `Throttling`,
    /// `ThrottlingException`: codes the SDK's retry classifier treats as throttling).
    Throttle,
    /// This HTTP status (500 or 503) with the protocol's error body.
    Status(u16),
    /// The connection closed with a TCP reset and no reply (never sent to the emulator).
    Reset,
    /// The emulator's reply, after this long.
    Delay(Duration),
    /// The emulator's reply cut short, `Content-Length` set to the cut.
    Truncate(Cut),
}

/// Where a truncated reply is cut (the point within the chosen kind is seeded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Any byte of the body.
    Anywhere,
    /// Just after a complete element or value: after an XML end tag, or a JSON `}`, `]` or
    /// `,`. Such a body can read as a complete document with a shorter list.
    AfterElement,
    /// No body at all (`Content-Length: 0`).
    Empty,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Forward => write!(f, "forward"),
            Fault::Throttle => write!(f, "throttle"),
            Fault::Status(code) => write!(f, "http-{code}"),
            Fault::Reset => write!(f, "reset"),
            Fault::Delay(d) => write!(f, "delay-{}ms", d.as_millis()),
            Fault::Truncate(Cut::Anywhere) => write!(f, "cut-anywhere"),
            Fault::Truncate(Cut::AfterElement) => write!(f, "cut-after-element"),
            Fault::Truncate(Cut::Empty) => write!(f, "cut-to-empty"),
        }
    }
}

/// Which requests get which fault.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Every request forwarded.
    Clean,
    /// Each request draws one fault: `(rate, fault)` pairs, the rest forwarded.
    Random { seed: u64, rates: Vec<(f64, Fault)> },
    /// Requests of one operation (`ec2:DescribeRouteTables`) get `fault`: on their first
    /// attempt only, or on every attempt (a failure the SDK's retries cannot get past).
    Operation {
        operation: String,
        fault: Fault,
        every_attempt: bool,
        seed: u64,
    },
    /// Requests of one operation whose body contains `body_contains` (a cluster's name) get
    /// `fault` on every attempt; the rest are forwarded.
    Matching {
        operation: String,
        body_contains: String,
        fault: Fault,
    },
}

/// One request and what it got.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `service:Operation`, as IAM names the action (`ec2:DescribeVpcs`).
    pub operation: String,
    /// How many identical requests came before (0: the first attempt).
    pub attempt: u32,
    pub fault: Fault,
    /// What happened: the emulator's status and body length, and the cut.
    pub detail: String,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (attempt {}): {} {}",
            self.operation, self.attempt, self.fault, self.detail
        )
    }
}

#[derive(Default)]
struct State {
    plan: Option<Plan>,
    /// Counts plans: a request decided under an earlier plan (a reply still being delayed
    /// when its client gave up) is not logged under the next one.
    generation: u64,
    /// Requests seen per request key, for attempts.
    seen: HashMap<u64, u32>,
    log: Vec<Entry>,
}

/// A running proxy; stopped when dropped.
pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultProxy {
    /// Listens on a free local port and forwards to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_string();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a free port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            plan: Some(Plan::Clean),
            ..State::default()
        }));
        let shared = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(client, upstream.clone(), shared.clone()));
            }
        });
        FaultProxy {
            url,
            state,
            runtime: Some(runtime),
        }
    }

    /// Applies `plan` from the next request on, with a fresh log and attempt count.
    pub fn set_plan(&self, plan: Plan) {
        let mut state = self.state.lock().unwrap();
        state.plan = Some(plan);
        state.generation += 1;
        state.seen.clear();
        state.log.clear();
    }

    /// Every request since the plan was set, in arrival order.
    pub fn log(&self) -> Vec<Entry> {
        self.state.lock().unwrap().log.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Delayed replies may still be sleeping: do not wait for them.
            runtime.shutdown_background();
        }
    }
}

/// An HTTP/1.1 message: its start line, headers and whole body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The message as bytes, with its body's length and `Connection: close`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (name, value) in &self.headers {
            let hop = [
                "content-length",
                "transfer-encoding",
                "connection",
                "keep-alive",
            ];
            if !hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The message at the start of `buf`, or `None` while it is incomplete. At `eof`, a body
/// without length or chunking runs to the end.
fn parse_message(buf: &[u8], eof: bool) -> Option<Message> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let start = lines.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let rest = &buf[head_end + 4..];
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        message.body = dechunk(rest)?;
    } else if let Some(length) = message.header("content-length") {
        let length: usize = length.parse().ok()?;
        message.body = rest.get(..length)?.to_vec();
    } else if eof {
        message.body = rest.to_vec();
    } else if !message.start.starts_with("HTTP/") {
        // A request without a body.
    } else {
        return None;
    }
    Some(message)
}

/// A chunked body, or `None` while its last chunk has not arrived.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// Reads one whole request from the client (`None` if it closes first).
async fn read_request(client: &mut TcpStream) -> Option<Message> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(message) = parse_message(&buf, false) {
            return Some(message);
        }
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Sends `request` to the emulator on a new connection and reads its whole reply.
async fn forward(upstream: &str, request: &Message) -> Result<Message, String> {
    let mut server = TcpStream::connect(upstream)
        .await
        .map_err(|e| format!("connect to the emulator: {e}"))?;
    server
        .write_all(&request.to_bytes())
        .await
        .map_err(|e| format!("write to the emulator: {e}"))?;
    let mut reply = Vec::new();
    server
        .read_to_end(&mut reply)
        .await
        .map_err(|e| format!("read from the emulator: {e}"))?;
    parse_message(&reply, true).ok_or_else(|| "an incomplete reply from the emulator".into())
}

/// The wire protocol of a request, for its error replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// EC2's query protocol (`<Response><Errors><Error>`).
    Ec2Query,
    /// The query protocol of IAM and STS (`<ErrorResponse><Error>`).
    AwsQuery,
    /// AWS JSON 1.0/1.1 (`X-Amz-Target`; ECS, ECR, Secrets Manager, SSM, Organizations).
    AwsJson,
    /// Anything else (a plain HTTP GET).
    Other,
}

/// What a request calls.
struct Call {
    /// `service:Operation`.
    operation: String,
    protocol: Protocol,
    /// Identifies the request across attempts: service, operation and body.
    key: u64,
    /// The request body, for plans that pick requests by what they ask for.
    body: String,
}

impl Call {
    fn of(request: &Message) -> Call {
        // The signing name from `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
        let service = request
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("http")
            .to_string();
        let body = String::from_utf8_lossy(&request.body);
        let target = request.header("x-amz-target");
        let action = body
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
            .map(str::to_string);
        let (operation, protocol) = match (target, action) {
            (Some(target), _) => (
                target.rsplit('.').next().unwrap_or(target).to_string(),
                Protocol::AwsJson,
            ),
            (None, Some(action)) if service == "ec2" => (action, Protocol::Ec2Query),
            (None, Some(action)) => (action, Protocol::AwsQuery),
            (None, None) => (
                request
                    .start
                    .split(' ')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" "),
                Protocol::Other,
            ),
        };
        let key = stable_key(&[
            service.as_bytes(),
            operation.as_bytes(),
            &mask_ids(&request.body),
        ]);
        Call {
            operation: format!("{service}:{operation}"),
            protocol,
            key,
            body: body.into_owned(),
        }
    }
}

/// `body` with every token that looks generated (letters and digits, or both cases: the
/// emulator's resource ids, a secret ARN's random suffix) replaced by its length, so that
/// the same request has the same key however the emulator named what the seed created.
fn mask_ids(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for (alphanumeric, run) in body
        .chunk_by(|a, b| a.is_ascii_alphanumeric() == b.is_ascii_alphanumeric())
        .map(|run| (run[0].is_ascii_alphanumeric(), run))
    {
        let has = |f: fn(&u8) -> bool| run.iter().any(f);
        let generated = (has(u8::is_ascii_digit) && has(u8::is_ascii_alphabetic))
            || (has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase));
        if alphanumeric && generated {
            out.extend_from_slice(format!("#{}", run.len()).as_bytes());
        } else {
            out.extend_from_slice(run);
        }
    }
    out
}

/// FNV-1a over `parts`: stable across Rust versions and runs, unlike `DefaultHasher`.
fn stable_key(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The fault for the `attempt`th identical request under `plan`, and a seed for its details.
fn decide(plan: &Plan, call: &Call, attempt: u32) -> (Fault, u64) {
    let mix = |seed: u64| {
        seed ^ call.key.rotate_left(17) ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    };
    match plan {
        Plan::Clean => (Fault::Forward, 0),
        Plan::Random { seed, rates } => {
            let mut rng = fastrand::Rng::with_seed(mix(*seed));
            let draw = rng.f64();
            let mut total = 0.0;
            for (rate, fault) in rates {
                total += rate;
                if draw < total {
                    return (*fault, rng.u64(..));
                }
            }
            (Fault::Forward, 0)
        }
        Plan::Matching {
            operation,
            body_contains,
            fault,
        } => {
            if *operation == call.operation && call.body.contains(body_contains.as_str()) {
                (*fault, mix(0))
            } else {
                (Fault::Forward, 0)
            }
        }
        Plan::Operation {
            operation,
            fault,
            every_attempt,
            seed,
        } => {
            let hit = *operation == call.operation && (*every_attempt || attempt == 0);
            if hit {
                (*fault, mix(*seed))
            } else {
                (Fault::Forward, 0)
            }
        }
    }
}

async fn serve(mut client: TcpStream, upstream: String, state: Arc<Mutex<State>>) {
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    let call = Call::of(&request);
    let (fault, detail_seed, attempt, generation) = {
        let mut state = state.lock().unwrap();
        let seen = state.seen.entry(call.key).or_insert(0);
        let attempt = *seen;
        *seen += 1;
        let plan = state.plan.clone().unwrap_or(Plan::Clean);
        let (fault, seed) = decide(&plan, &call, attempt);
        (fault, seed, attempt, state.generation)
    };
    let (reply, detail) = match fault {
        Fault::Reset => {
            let _ = client.set_zero_linger();
            (None, String::new())
        }
        Fault::Throttle => (Some(throttle(&call)), String::new()),
        Fault::Status(status) => (Some(server_error(&call, status)), String::new()),
        Fault::Forward | Fault::Delay(_) | Fault::Truncate(_) => {
            match forward(&upstream, &request).await {
                Err(error) => (Some(plain(502, &error)), error),
                Ok(mut reply) => {
                    let mut detail = format!(
                        "[emulator: {}, {} bytes]",
                        reply.start.split(' ').nth(1).unwrap_or("?"),
                        reply.body.len()
                    );
                    if let Fault::Truncate(cut) = fault {
                        let at = cut_point(&reply.body, cut, detail_seed);
                        detail.push_str(&format!(" cut at {at}"));
                        reply.body.truncate(at);
                    }
                    (Some(reply), detail)
                }
            }
        }
    };
    {
        // Logged before any delay: the run may end (its client give up) before it is over.
        let mut state = state.lock().unwrap();
        if state.generation == generation {
            state.log.push(Entry {
                operation: call.operation.clone(),
                attempt,
                fault,
                detail,
            });
        }
    }
    if let Fault::Delay(delay) = fault {
        tokio::time::sleep(delay).await;
    }
    if let Some(reply) = reply {
        // The client may have given up (a delay past its timeout): nothing to do then.
        let _ = client.write_all(&reply.to_bytes()).await;
        let _ = client.shutdown().await;
    }
}

/// Where to cut `body` for `cut`, chosen by `seed`.
fn cut_point(body: &[u8], cut: Cut, seed: u64) -> usize {
    let mut rng = fastrand::Rng::with_seed(seed);
    match cut {
        Cut::Empty => 0,
        Cut::Anywhere if body.is_empty() => 0,
        Cut::Anywhere => rng.usize(..body.len()),
        Cut::AfterElement => {
            let points = element_ends(body);
            if points.is_empty() {
                rng.usize(..body.len().max(1))
            } else {
                points[rng.usize(..points.len())]
            }
        }
    }
}

/// Offsets just past a complete element or value, before the end of `body`: after each XML
/// end tag (`</…>`), or each JSON `}`, `]` or `,`.
fn element_ends(body: &[u8]) -> Vec<usize> {
    let xml = body.first() == Some(&b'<');
    let mut ends = Vec::new();
    let mut in_end_tag = false;
    for (i, &byte) in body.iter().enumerate() {
        let end = if xml {
            if byte == b'<' {
                in_end_tag = body.get(i + 1) == Some(&b'/');
            }
            byte == b'>' && in_end_tag
        } else {
            matches!(byte, b'}' | b']' | b',')
        };
        if end && i + 1 < body.len() {
            ends.push(i + 1);
        }
    }
    ends
}

fn response(status: u16, headers: &[(&str, &str)], body: String) -> Message {
    let reason = match status {
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    Message {
        start: format!("HTTP/1.1 {status} {reason}"),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.into_bytes(),
    }
}

fn plain(status: u16, text: &str) -> Message {
    response(status, &[("Content-Type", "text/plain")], text.to_string())
}

/// An error reply with `code` in the protocol of `call`.
fn error_reply(call: &Call, status: u16, code: &str, message: &str) -> Message {
    let request_id = format!("fault-{:016x}", call.key);
    match call.protocol {
        Protocol::Ec2Query => response(
            status,
            &[("Content-Type", "text/xml;charset=UTF-8")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
                 <Code>{code}</Code><Message>{message}</Message></Error></Errors>\
                 <RequestID>{request_id}</RequestID></Response>"
            ),
        ),
        Protocol::AwsQuery => {
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            response(
                status,
                &[
                    ("Content-Type", "text/xml"),
                    ("x-amzn-RequestId", &request_id),
                ],
                format!(
                    "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                     <Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>\
                     </Error><RequestId>{request_id}</RequestId></ErrorResponse>"
                ),
            )
        }
        Protocol::AwsJson => response(
            status,
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", code),
                ("x-amzn-RequestId", &request_id),
            ],
            format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
        ),
        Protocol::Other => plain(status, message),
    }
}

/// Throttling as each protocol reports it; all three codes are in aws-runtime's
/// `THROTTLING_ERRORS`, so the SDK retries them (and the adaptive mode slows down).
fn throttle(call: &Call) -> Message {
    match call.protocol {
        Protocol::Ec2Query => {
            error_reply(call, 503, "RequestLimitExceeded", "Request limit exceeded.")
        }
        Protocol::AwsQuery => error_reply(call, 400, "Throttling", "Rate exceeded"),
        Protocol::AwsJson => error_reply(call, 400, "ThrottlingException", "Rate exceeded"),
        Protocol::Other => plain(429, "Too Many Requests"),
    }
}

/// A 500 or 503 (aws-smithy-runtime's `TRANSIENT_ERROR_STATUS_CODES`: retried) with the
/// code each protocol uses for it.
fn server_error(call: &Call, status: u16) -> Message {
    let code = match (call.protocol, status) {
        (Protocol::Ec2Query, 500) => "InternalError",
        (Protocol::Ec2Query, _) => "Unavailable",
        (Protocol::AwsQuery, 500) => "ServiceFailure",
        (Protocol::AwsQuery, _) => "ServiceUnavailable",
        (_, 500) => "InternalFailure",
        _ => "ServiceUnavailable",
    };
    error_reply(call, status, code, "injected by the fault proxy")
}
