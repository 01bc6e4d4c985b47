//! A fault-injecting HTTP proxy on 127.0.0.1 between the scanner and moto. It forwards each
//! request to moto and, as its plan says, answers instead with a fault: the connection reset,
//! the body cut short, a malformed body, a burst of 5xx answers, or an answer slower than the
//! client's timeout. It counts what it injected.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The connection reset (RST) once the request is read, no answer.
    Reset,
    /// The status and headers promise the whole body; half of it comes, then the connection
    /// closes.
    Truncated,
    /// HTTP 200 with a body that is not the JSON (or XML) the operation answers with.
    Malformed,
    /// This request and the next `burst - 1` answered 500/503 (an AWS error document or a load
    /// balancer's HTML page, alternately).
    Burst5xx,
    /// The answer held back for `slow` (longer than the client's timeout).
    Slow,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Reset,
        Fault::Truncated,
        Fault::Malformed,
        Fault::Burst5xx,
        Fault::Slow,
    ];
}

#[derive(Clone)]
pub struct Plan {
    /// The share of requests that meet a transient fault, one of `kinds` at random.
    pub rate: f64,
    pub kinds: Vec<Fault>,
    pub seed: u64,
    /// How many consecutive requests a 5xx burst answers.
    pub burst: u32,
    /// How long a slow answer is held.
    pub slow: Duration,
    /// Requests that always meet a fault: every listed text occurs in the raw request (the
    /// X-Amz-Target header names the operation, the body its parameters).
    pub always: Vec<(Vec<String>, Fault)>,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            rate: 0.0,
            kinds: Fault::ALL.to_vec(),
            seed: 1,
            burst: 3,
            slow: Duration::from_millis(1500),
            always: Vec::new(),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Requests received from the client.
    pub requests: u64,
    /// Faults injected, by kind (each request of a burst counts once).
    pub faults: BTreeMap<Fault, u64>,
}

impl Stats {
    pub fn injected(&self) -> u64 {
        self.faults.values().sum()
    }
}

struct State {
    plan: Plan,
    random: u64,
    burst_left: u32,
    stats: Stats,
}

impl State {
    /// xorshift64*: deterministic for a seed.
    fn next(&mut self) -> f64 {
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        (self.random.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn decide(&mut self, request: &[u8]) -> Option<Fault> {
        self.stats.requests += 1;
        let text = String::from_utf8_lossy(request);
        let fault = if let Some((_, fault)) = self
            .plan
            .always
            .iter()
            .find(|(texts, _)| texts.iter().all(|t| text.contains(t.as_str())))
        {
            Some(*fault)
        } else if self.burst_left > 0 {
            self.burst_left -= 1;
            Some(Fault::Burst5xx)
        } else if self.plan.rate > 0.0 && self.next() < self.plan.rate {
            let pick = self.next();
            let kinds = &self.plan.kinds;
            let kind = kinds[((pick * kinds.len() as f64) as usize).min(kinds.len() - 1)];
            if kind == Fault::Burst5xx {
                self.burst_left = self.plan.burst.saturating_sub(1);
            }
            Some(kind)
        } else {
            None
        };
        if let Some(fault) = fault {
            *self.stats.faults.entry(fault).or_insert(0) += 1;
        }
        fault
    }
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (a moto port).
    pub fn start(upstream: u16, plan: Plan) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            random: plan.seed.max(1),
            plan,
            burst_left: 0,
            stats: Stats::default(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let state = state.clone();
                    std::thread::spawn(move || serve(client, upstream, &state));
                }
            });
        }
        FaultProxy { port, state, stop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn stats(&self) -> Stats {
        self.state.lock().unwrap().stats.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One client connection: requests one after another (keep-alive).
fn serve(client: TcpStream, upstream: u16, state: &Mutex<State>) {
    let mut reader = BufReader::new(client.try_clone().expect("clone the client socket"));
    let mut client = client;
    while let Some(request) = read_request(&mut reader) {
        let fault = state.lock().unwrap().decide(&request);
        let slow = state.lock().unwrap().plan.slow;
        if fault == Some(Fault::Reset) {
            let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
            return;
        }
        if fault == Some(Fault::Burst5xx) {
            let n = state.lock().unwrap().stats.faults[&Fault::Burst5xx];
            let (status, kind, body) = if n.is_multiple_of(2) {
                (
                    "500 Internal Server Error",
                    "application/x-amz-json-1.1",
                    r#"{"__type":"InternalFailure","message":"injected"}"#.to_string(),
                )
            } else {
                (
                    "503 Service Unavailable",
                    "text/html",
                    "<html><body>Service Unavailable</body></html>".to_string(),
                )
            };
            if write_response(
                &mut client,
                status,
                &[("Content-Type", kind)],
                body.as_bytes(),
            )
            .is_err()
            {
                return;
            }
            continue;
        }
        let Some((status, headers, body)) = forward(&request, upstream) else {
            return;
        };
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match fault {
            Some(Fault::Truncated) => {
                let head = head(&status, &headers, body.len());
                let _ = client.write_all(head.as_bytes());
                let _ = client.write_all(&body[..body.len() / 2]);
                let _ = client.flush();
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Malformed) => {
                let garbled: &[u8] = if body.starts_with(b"<") {
                    b"<ErrorResponse><Error><Code>"
                } else {
                    b"{\"Users\": [{\"UserId\": tru"
                };
                if write_response(&mut client, "200 OK", &headers, garbled).is_err() {
                    return;
                }
            }
            Some(Fault::Slow) => {
                std::thread::sleep(slow);
                if write_response(&mut client, &status, &headers, &body).is_err() {
                    return;
                }
            }
            _ => {
                if write_response(&mut client, &status, &headers, &body).is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads one request (head and Content-Length body) as raw bytes; None at the end.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
        raw.extend_from_slice(line.as_bytes());
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    raw.extend_from_slice(&body);
    Some(raw)
}

type Response = (String, Vec<(String, String)>, Vec<u8>);

/// Sends the request to moto on a fresh connection and reads the whole answer.
fn forward(request: &[u8], upstream: u16) -> Option<Response> {
    let split = request.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&request[..split]);
    let mut rewritten: String = head
        .lines()
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    rewritten.push_str("Connection: close\r\n\r\n");
    let mut stream = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    stream.write_all(rewritten.as_bytes()).ok()?;
    stream.write_all(&request[split..]).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next()?.split_once(' ')?.1.to_string();
    let mut headers = Vec::new();
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let lower = name.trim().to_ascii_lowercase();
        if lower == "transfer-encoding" {
            chunked = value.to_ascii_lowercase().contains("chunked");
            continue;
        }
        if ["content-length", "connection", "keep-alive"].contains(&lower.as_str()) {
            continue;
        }
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut body = answer[split..].to_vec();
    if chunked {
        body = dechunk(&body)?;
    }
    Some((status, headers, body))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..end])
                .split(';')
                .next()?
                .trim(),
            16,
        )
        .ok()?;
        data = &data[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

fn head(status: &str, headers: &[(&str, &str)], length: usize) -> String {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    head
}

fn write_response(
    client: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    client.write_all(head(status, headers, body.len()).as_bytes())?;
    client.write_all(body)?;
    client.flush()
}
