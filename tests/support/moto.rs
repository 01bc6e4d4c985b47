//! A moto server (with ssoaudit's extension) on 127.0.0.1 for one test, seeded from a
//! snapshot fixture. `scripts/test` installs moto into `.venv`; SSOAUDIT_PYTHON overrides
//! which interpreter runs it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Moto {
    child: Child,
    pub port: u16,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("SSOAUDIT_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python environment with moto at {}: run `scripts/test`, which creates it",
        venv.display()
    );
    venv
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// A server with more environment (`SSOAUDIT_MOTO_MANAGED_POLICIES=management`: AWS managed
    /// policies in the management account only, for organizations of thousands of accounts).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let mut child = Command::new(python())
            .arg(root().join("tests/moto/ssoaudit_moto.py"))
            .args(["--port", "0"])
            // AWS managed policies, for the scanner's GetPolicy and GetPolicyVersion.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("moto prints its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from moto: {line:?}"));
        Moto { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Seeds the organization of a snapshot file; returns the id mapping seed.py prints.
    pub fn seed(&self, snapshot: &Path) -> serde_json::Value {
        let output = Command::new(python())
            .arg(root().join("tests/moto/seed.py"))
            .arg(self.endpoint())
            .arg(snapshot)
            .output()
            .expect("seed.py runs");
        assert!(
            output.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("seed.py prints JSON")
    }

    /// POSTs to the extension's control API (`/_ssoaudit/<path>`).
    pub fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let body = body.to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        write!(
            stream,
            "POST /_ssoaudit/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        let (_, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
    }

    /// Calls per `service:Operation` since the last reset.
    pub fn calls(&self) -> std::collections::BTreeMap<String, u64> {
        let answer = self.control("calls", serde_json::json!({}));
        serde_json::from_value(answer["calls"].clone()).expect("call counts")
    }

    /// Runs the ssoaudit binary against this server with dummy credentials.
    pub fn ssoaudit(&self, args: &[&str]) -> std::process::Output {
        self.ssoaudit_at(&self.endpoint(), args)
    }

    /// Runs the ssoaudit binary against `endpoint` (a proxy in front of this server).
    pub fn ssoaudit_at(&self, endpoint: &str, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_ssoaudit"))
            .args(args)
            .current_dir(root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(test_clock())
            .output()
            .expect("ssoaudit runs")
    }
}

/// The variables of a moved test clock (`SSOAUDIT_TEST_CLOCK` in scripts/test runs the tests
/// under libfaketime), kept for a binary started with a cleared environment: it must see the
/// clock the test sees.
pub fn test_clock() -> Vec<(String, std::ffi::OsString)> {
    std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            (name == "LD_PRELOAD" || name.starts_with("FAKETIME")).then_some((name, value))
        })
        .collect()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
