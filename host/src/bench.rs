//! `mvis bench issue`: a load tool that drives N concurrent HTTP clients against a running server,
//! each issuing invoices back to back, and prints throughput and latency percentiles.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use rand::{Rng, SeedableRng};
use rand::seq::IndexedRandom;

use crate::domain::vin::Vin;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// 并发开具发票，统计每秒开票数和延迟分位数（只应指向本机 127.0.0.1 上的服务）
    Issue {
        /// 服务地址，例如 http://127.0.0.1:8080
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// 开票员的访问令牌
        #[arg(long, env = "MVIS_TOKEN", hide_env_values = true)]
        token: String,
        /// 并发客户端数
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// 总开票数
        #[arg(long, default_value_t = 20_000)]
        requests: u64,
    },
    /// 并发发送 GET 请求并统计延迟分位数；请求路径逐行取自文件并循环使用，例如 /api/v1/invoices?vin=…（按车辆识别代号查询）或统计报表地址
    Get {
        /// 服务地址，例如 http://127.0.0.1:8080
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// 访问令牌
        #[arg(long, env = "MVIS_TOKEN", hide_env_values = true)]
        token: String,
        /// 路径文件：每行一个以 / 开头的请求路径
        #[arg(long)]
        paths: std::path::PathBuf,
        /// 并发客户端数
        #[arg(long, default_value_t = 1)]
        clients: usize,
        /// 总请求数
        #[arg(long, default_value_t = 10_000)]
        requests: u64,
    },
}

/// Characters allowed in a VIN (GB 16735: no I, O, Q).
const VIN_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

/// Makes a VIN with a valid check digit: WMI `LFV`, a random feature code and plant, model year
/// `T` and the given serial, so that runs against the same database do not collide.
pub fn synthetic_vin(rng: &mut impl Rng, serial: u64) -> Vin {
    let mut text = String::from("LFV");
    for _ in 0..5 {
        text.push(*VIN_ALPHABET.choose(rng).expect("alphabet is not empty") as char);
    }
    text.push('0');
    text.push('T');
    text.push(*VIN_ALPHABET.choose(rng).expect("alphabet is not empty") as char);
    text.push_str(&format!("{:06}", serial % 1_000_000));
    Vin::with_computed_check_digit(&text).expect("synthetic VIN uses only VIN characters")
}

pub async fn run(command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Issue { url, token, clients, requests } => run_issue(url, token, *clients, *requests).await,
        BenchCommand::Get { url, token, paths, clients, requests } => run_get(url, token, paths, *clients, *requests).await,
    }
}

async fn run_issue(url: &str, token: &str, clients: usize, requests: u64) -> anyhow::Result<()> {
    let endpoint = format!("{}/api/v1/invoices", url.trim_end_matches('/'));
    let token = token.to_string();
    // A random seed per run keeps VINs of runs against the same database apart.
    let run_seed: u64 = rand::random();
    let send = move |client: reqwest::Client, serial: u64| {
        let (endpoint, token) = (endpoint.clone(), token.clone());
        async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(run_seed ^ serial);
            let body = serde_json::json!({
                "buyer_name": "性能测试购买方",
                "buyer_id": "11010519491231002X",
                "vehicle_type": "轿车",
                "brand_model": "东风日产牌 轩逸",
                "origin": "襄阳市",
                "certificate_number": format!("BENCH{serial:010}"),
                "engine_number": format!("E{serial:09}"),
                "vin": synthetic_vin(&mut rng, serial).as_str(),
                "total_amount": format!("{}.00", 89_800 + serial % 50_000),
                "seating_capacity": 5,
            });
            let response = client.post(&endpoint).bearer_auth(&token).json(&body).send().await.map_err(|err| err.to_string())?;
            match response.status().as_u16() {
                201 => Ok(()),
                status => Err(format!("HTTP {status} {}", response.text().await.unwrap_or_default())),
            }
        }
    };
    let run = drive(clients, requests, send).await?;
    print_summary(clients, "issued", "invoices/s", run);
    Ok(())
}

/// Sends GET requests for the paths in `paths_file`, in order and round robin, from `clients`
/// concurrent clients; every response must be 200.
async fn run_get(url: &str, token: &str, paths_file: &std::path::Path, clients: usize, requests: u64) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(paths_file).with_context(|| format!("无法读取路径文件 {}", paths_file.display()))?;
    let paths: Arc<Vec<String>> = Arc::new(text.lines().map(str::trim).filter(|line| line.starts_with('/')).map(str::to_string).collect());
    if paths.is_empty() {
        bail!("路径文件 {} 中没有以 / 开头的请求路径", paths_file.display());
    }

    let base = url.trim_end_matches('/').to_string();
    let token = token.to_string();
    let send = move |client: reqwest::Client, serial: u64| {
        let path = paths[(serial % paths.len() as u64) as usize].clone();
        let (url, token) = (format!("{base}{path}"), token.clone());
        async move {
            let response = client.get(&url).bearer_auth(&token).send().await.map_err(|err| format!("{path}: {err}"))?;
            match response.status().as_u16() {
                200 => response.bytes().await.map(|_| ()).map_err(|err| format!("{path}: {err}")),
                status => Err(format!("{path}: HTTP {status} {}", response.text().await.unwrap_or_default())),
            }
        }
    };
    let run = drive(clients, requests, send).await?;
    print_summary(clients, "succeeded", "requests/s", run);
    Ok(())
}

/// Latencies of the successful requests of a run, its failure count and its wall time.
struct RunResult {
    latencies: Vec<Duration>,
    failures: u64,
    elapsed: Duration,
}

/// Runs `requests` requests numbered from 0 on `clients` concurrent workers, each with its own
/// HTTP client. Prints the first five failures.
async fn drive<F, Fut>(clients: usize, requests: u64, send: F) -> anyhow::Result<RunResult>
where
    F: Fn(reqwest::Client, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    if clients == 0 || requests == 0 {
        bail!("--clients 和 --requests 必须大于 0");
    }
    let next_request = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();

    let mut workers = Vec::new();
    for _ in 0..clients {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let (send, next_request, failures) = (send.clone(), next_request.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let serial = next_request.fetch_add(1, Ordering::Relaxed);
                if serial >= requests {
                    break;
                }
                let sent = Instant::now();
                match send(client.clone(), serial).await {
                    Ok(()) => latencies.push(sent.elapsed()),
                    Err(message) => {
                        if failures.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("请求失败：{message}");
                        }
                    }
                }
            }
            latencies
        }));
    }

    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.context("bench worker panicked")?);
    }
    Ok(RunResult { latencies, failures: failures.load(Ordering::Relaxed), elapsed: started.elapsed() })
}

/// Prints counts, throughput and latency percentiles (nearest rank) of a run.
fn print_summary(clients: usize, done_label: &str, rate_unit: &str, run: RunResult) {
    let RunResult { mut latencies, failures, elapsed } = run;
    latencies.sort();
    let succeeded = latencies.len();
    let percentile = |p: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
        latencies[index]
    };
    println!("clients: {clients}");
    println!("{done_label}: {succeeded}, failed: {failures}");
    println!("elapsed: {:.2} s", elapsed.as_secs_f64());
    println!("throughput: {:.0} {rate_unit}", succeeded as f64 / elapsed.as_secs_f64());
    for p in [50.0, 90.0, 99.0, 99.9] {
        println!("p{p}: {:.2} ms", percentile(p).as_secs_f64() * 1000.0);
    }
    println!("max: {:.2} ms", latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0);
}
