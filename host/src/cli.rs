//! Command line: `mvis [--data-dir DIR] <command>`. Help text is Chinese for operators.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::clock::Clock;
use crate::config::{Environment, Settings};
use crate::domain::vat::SellerKind;
use crate::issuing::{Actor, Issuing, IssuingError, NewDealer, NewStockRange, NewUser};
use crate::rules::{Limits, Rules};
use crate::store::users::Role;
use crate::store::{Store, redact_url};

fn command_dir(command: &ScriptCommand) -> &Path {
    match command {
        ScriptCommand::Check { dir } | ScriptCommand::Test { dir } | ScriptCommand::DryRun { dir, .. } => dir,
    }
}

#[derive(Parser)]
#[command(name = "mvis", version, about = "机动车销售统一发票网络开具与管理系统（MVIS）")]
pub struct Cli {
    /// 数据目录：嵌入式 SQLite 数据库文件 mvis.sqlite 所在目录
    #[arg(long, global = true, default_value = "data", env = "MVIS_DATA_DIR")]
    data_dir: PathBuf,

    /// 配置目录：包含 server.toml、prefectures/ 和 reference/
    #[arg(long, global = true, default_value = "config", env = "MVIS_CONFIG_DIR")]
    config_dir: PathBuf,

    /// 规则脚本目录：每个省一个子目录（如 hubei），地市覆盖脚本放在其下以地市代码命名的子目录
    #[arg(long, global = true, default_value = "scripts", env = "MVIS_SCRIPTS_DIR")]
    scripts_dir: PathBuf,

    /// PostgreSQL 连接串（postgres://…）；设置后不再使用数据目录中的 SQLite 文件
    #[arg(long, global = true, env = "MVIS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 初始化数据库（建表）；加 --demo 写入湖北 17 个地市、演示销货单位、号码段和用户
    Init {
        /// 写入演示数据：武汉、襄阳、仙桃的演示销货单位及用户 clerk-wuhan-1、officer-wuhan、admin 等，网页登录密码均为 demo-password
        #[arg(long)]
        demo: bool,
    },
    /// 启动服务
    Serve {
        /// 监听地址，例如 127.0.0.1:8080
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// 固定时钟（RFC 3339，例如 2017-07-19T10:00:00+08:00），仅用于测试；生产环境拒绝此参数
        #[arg(long, env = "MVIS_FIXED_CLOCK")]
        fixed_clock: Option<String>,
        /// 插件目录：服务加载其中的 .wasm 插件，文件变化后自动重新加载
        #[arg(long, default_value = crate::plugins::DEFAULT_PLUGIN_DIR, env = "MVIS_PLUGIN_DIR")]
        plugin_dir: PathBuf,
        /// 打印 PDF 所用的 TrueType 中文字体文件
        #[arg(long, default_value = crate::plugins::pdf::DEFAULT_FONT, env = "MVIS_PDF_FONT")]
        pdf_font: PathBuf,
    },
    /// 访问令牌
    #[command(subcommand)]
    Token(TokenCommand),
    /// 台账（哈希链）
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// 销货单位管理
    #[command(subcommand)]
    Dealer(DealerCommand),
    /// 发票号码段管理
    #[command(subcommand)]
    Stock(StockCommand),
    /// 用户管理
    #[command(subcommand)]
    User(UserCommand),
    /// 导入 CTAIS 交换文件：纳税人登记、发票发售、合格证；有任何错误时不写入（除非加 --load-valid-only）
    #[command(subcommand)]
    Import(crate::cli_ctais::ImportCommand),
    /// 导出 CTAIS 交换文件：供车辆购置税征收使用的发票数据
    #[command(subcommand)]
    Export(crate::cli_ctais::ExportCommand),
    /// 规则脚本工具：检查、测试、试运行
    #[command(subcommand)]
    Script(ScriptCommand),
    /// 性能测试工具
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
    /// 生成合成数据（仅用于性能测试，生产环境拒绝）
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// WebAssembly 插件工具：打包、检查、测试、性能测试
    #[command(subcommand)]
    Plugin(crate::plugins::cli::PluginCommand),
}

#[derive(Subcommand)]
enum ScriptCommand {
    /// 编译脚本集（省级脚本及各地市覆盖脚本），检查必需函数 validate、vat_rate、purchase_tax、offline_limits
    Check {
        /// 脚本集目录，例如 scripts/hubei
        dir: PathBuf,
    },
    /// 运行脚本集 tests/ 目录及各地市 tests/ 目录中的测试用例
    Test {
        /// 脚本集目录，例如 scripts/hubei
        dir: PathBuf,
    },
    /// 用候选脚本集重新计算已存发票，列出与现行脚本结果不同的发票；不修改任何数据
    DryRun {
        /// 地市代码，例如 420100
        #[arg(long)]
        prefecture: String,
        /// 开票日期起（YYYY-MM-DD）
        #[arg(long)]
        from: chrono::NaiveDate,
        /// 开票日期止（YYYY-MM-DD，含）
        #[arg(long)]
        to: chrono::NaiveDate,
        /// 候选脚本集目录，例如 /tmp/hubei-new
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum GenerateCommand {
    /// 按湖北各地市、品牌、车型和价格分布生成合成发票，连同销货单位、号码段和台账记录；运行期间不要启动服务
    Invoices(crate::generate::GenerateArgs),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// 为用户生成新的访问令牌，只在标准输出打印令牌本身
    Create {
        /// 用户名
        username: String,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// 校验台账哈希链，并核对发票、销货单位、号码段、合格证和用户的现存数据与台账一致
    Verify,
}

#[derive(Subcommand)]
enum DealerCommand {
    /// 登记销货单位
    Add {
        /// 销货单位编号（字母、数字、- 和 _）
        #[arg(long)]
        dealer_id: String,
        /// 地市代码（GB/T 2260，例如 420100）
        #[arg(long)]
        prefecture: String,
        /// 纳税人识别号（18 位统一社会信用代码或 15 位税号）
        #[arg(long)]
        taxpayer_id: String,
        /// 名称
        #[arg(long)]
        name: String,
        /// 纳税人类型：general（一般纳税人）或 small-scale（小规模纳税人）
        #[arg(long, default_value = "general")]
        seller_kind: String,
        /// 电话
        #[arg(long, default_value = "")]
        phone: String,
        /// 地址
        #[arg(long, default_value = "")]
        address: String,
        /// 开户银行
        #[arg(long, default_value = "")]
        bank: String,
        /// 账号
        #[arg(long, default_value = "")]
        account: String,
        /// 主管税务机关名称
        #[arg(long, default_value = "")]
        tax_authority_name: String,
        /// 主管税务机关代码
        #[arg(long, default_value = "")]
        tax_authority_code: String,
    },
    /// 列出销货单位
    List,
}

#[derive(Subcommand)]
enum StockCommand {
    /// 向销货单位分配号码段（同一发票代码的号码段不能重叠）
    Allocate {
        /// 销货单位编号
        #[arg(long)]
        dealer_id: String,
        /// 发票代码（12 位）
        #[arg(long)]
        invoice_code: String,
        /// 起始号码（8 位，保留前导零）
        #[arg(long)]
        start: String,
        /// 终止号码（8 位，含）
        #[arg(long)]
        end: String,
    },
    /// 列出号码段及剩余份数
    List {
        /// 只列出该销货单位的号码段
        #[arg(long)]
        dealer_id: Option<String>,
    },
    /// 缴销号码段中未使用的号码
    Return {
        /// 号码段编号
        range_id: i64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// 创建用户
    Add {
        /// 用户名
        #[arg(long)]
        username: String,
        /// 姓名（开票人显示名）
        #[arg(long)]
        display_name: String,
        /// 角色：dealer_clerk（开票员）、dealer_admin（销货单位管理员）、officer（税务人员）、prefecture_admin（地市管理员）或 admin（省级管理员，也可写 province_admin）
        #[arg(long)]
        role: String,
        /// 开票员或销货单位管理员所属销货单位
        #[arg(long)]
        dealer_id: Option<String>,
        /// 税务人员或地市管理员所属地市代码；全省税务人员为 420000
        #[arg(long)]
        prefecture: Option<String>,
    },
    /// 列出用户
    List,
    /// 设置用户的网页登录密码：从标准输入读取一行作为新密码（至少 8 个字符），并使该用户已登录的浏览器退出
    Password {
        /// 用户名
        username: String,
    },
}

/// Runs the command line and maps failures to an exit code with a message on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("MVIS_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("错误：{err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Returns the actor that the ledger records for changes made from the command line.
fn cli_actor() -> Actor {
    Actor {
        username: "cli".to_string(),
        display_name: "命令行".to_string(),
        role: Role::Admin,
        dealer_id: None,
        prefecture_code: None,
        created_at: String::new(),
    }
}

async fn open_store(cli: &Cli) -> anyhow::Result<Store> {
    match &cli.database_url {
        Some(url) => Store::connect(url).await.with_context(|| format!("无法连接数据库 {}", redact_url(url))),
        None => Store::open_sqlite_dir(&cli.data_dir).await.with_context(|| format!("无法打开数据目录 {}", cli.data_dir.display())),
    }
}

fn load_settings(config_dir: &Path) -> anyhow::Result<Settings> {
    Settings::load(config_dir).with_context(|| format!("配置目录 {} 有误", config_dir.display()))
}

/// Prints a use-case result: the JSON body on success, the Chinese message on rejection.
fn report(result: Result<crate::store::writer::JobOutput, IssuingError>) -> anyhow::Result<serde_json::Value> {
    match result {
        Ok(output) => Ok(serde_json::from_str(&output.body)?),
        Err(IssuingError::Rejected(rejection)) => bail!("{}（{}）", rejection.message, rejection.code),
        Err(err) => Err(err.into()),
    }
}

fn print_json(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON value serialises"));
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Bench(command) = &cli.command {
        return crate::bench::run(command).await.map(|()| ExitCode::SUCCESS);
    }
    if let Command::Plugin(command) = &cli.command {
        return crate::plugins::cli::run(command).map(|()| ExitCode::SUCCESS);
    }
    if let Command::Script(command @ (ScriptCommand::Check { .. } | ScriptCommand::Test { .. })) = &cli.command {
        return crate::cli_script::check_or_test(command_dir(command), &cli.config_dir, matches!(command, ScriptCommand::Test { .. }));
    }

    let settings = Arc::new(load_settings(&cli.config_dir)?);
    let store = open_store(&cli).await?;
    let rules = Arc::new(Rules::load(&cli.scripts_dir, &cli.config_dir, Limits::default()));

    match &cli.command {
        Command::Serve { listen, fixed_clock, plugin_dir, pdf_font } => {
            let clock = match fixed_clock {
                None => Clock::System,
                Some(_) if settings.environment == Environment::Production => {
                    bail!("生产环境（server.toml 中 environment = \"production\"）禁止使用 --fixed-clock / MVIS_FIXED_CLOCK")
                }
                Some(text) => Clock::Fixed(
                    chrono::DateTime::parse_from_rfc3339(text)
                        .with_context(|| format!("--fixed-clock 的值 {text} 不是 RFC 3339 时间，例如 2017-07-19T10:00:00+08:00"))?
                        .to_utc(),
                ),
            };
            let plugins = crate::plugins::cli::start_host(plugin_dir, &cli.config_dir, pdf_font)?;
            serve(store, settings, clock, rules, plugins, listen).await?;
        }
        Command::Generate(GenerateCommand::Invoices(args)) => {
            crate::generate::run(&store, &settings, &rules, &cli.config_dir, args).await?;
            store.close().await;
        }
        Command::Script(ScriptCommand::DryRun { prefecture, from, to, dir }) => {
            let code = crate::cli_script::dry_run(&store, &rules, &cli.config_dir, prefecture, *from, *to, dir).await?;
            store.close().await;
            return Ok(code);
        }
        other => {
            let issuing = Issuing::new(store.clone(), settings, Clock::System, rules);
            let code = run_admin(other, &issuing, &store, &cli.config_dir).await?;
            store.close().await;
            return Ok(code);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_admin(command: &Command, issuing: &Issuing, store: &Store, config_dir: &Path) -> anyhow::Result<ExitCode> {
    let actor = cli_actor();
    match command {
        Command::Import(command) => return crate::cli_ctais::import(command, issuing, &actor, config_dir).await,
        Command::Export(command) => return crate::cli_ctais::export(command, store, config_dir).await,
        Command::Init { demo } => {
            if *demo {
                crate::demo::seed(issuing, &actor).await?;
            }
            eprintln!("数据库已就绪");
        }
        Command::Token(TokenCommand::Create { username }) => {
            let created = report(issuing.create_token(&actor, username, None).await)?;
            println!("{}", created["token"].as_str().context("token missing from response")?);
        }
        Command::Ledger(LedgerCommand::Verify) => {
            let report = crate::store::verify::verify(store).await?;
            eprintln!("已核对台账记录 {} 条、数据行 {} 行", report.entries_checked, report.rows_checked);
            if report.is_intact() {
                println!("台账完整：哈希链连续，现存数据与台账一致");
            } else {
                let first = &report.problems[0];
                match first.seq {
                    Some(seq) => println!("台账校验失败：第一个问题在第 {seq} 条记录（{}）：{}", first.entity_key, first.reason),
                    None => println!("台账校验失败：{}：{}", first.entity_key, first.reason),
                }
                for problem in &report.problems[1..] {
                    println!("  另有问题：{} {}：{}", problem.seq.map(|seq| format!("第 {seq} 条")).unwrap_or_default(), problem.entity_key, problem.reason);
                }
                return Ok(ExitCode::from(2));
            }
        }
        Command::Dealer(DealerCommand::Add {
            dealer_id, prefecture, taxpayer_id, name, seller_kind, phone, address, bank, account, tax_authority_name, tax_authority_code,
        }) => {
            let seller_kind = match seller_kind.as_str() {
                "general" => SellerKind::General,
                "small-scale" | "small_scale" => SellerKind::SmallScale,
                other => bail!("--seller-kind 的值 {other} 无效，应为 general 或 small-scale"),
            };
            let dealer = NewDealer {
                dealer_id: dealer_id.clone(),
                prefecture_code: prefecture.clone(),
                taxpayer_id: taxpayer_id.clone(),
                name: name.clone(),
                seller_kind,
                phone: phone.clone(),
                address: address.clone(),
                bank: bank.clone(),
                account: account.clone(),
                tax_authority_name: tax_authority_name.clone(),
                tax_authority_code: tax_authority_code.clone(),
            };
            print_json(&report(issuing.create_dealer(&actor, dealer, None).await)?);
        }
        Command::Dealer(DealerCommand::List) => {
            print_json(&serde_json::to_value(crate::store::dealers::list(store.pool(), None).await?)?);
        }
        Command::Stock(StockCommand::Allocate { dealer_id, invoice_code, start, end }) => {
            let range = NewStockRange { dealer_id: dealer_id.clone(), invoice_code: invoice_code.clone(), start_number: start.clone(), end_number: end.clone() };
            print_json(&report(issuing.allocate_stock(&actor, range, None).await)?);
        }
        Command::Stock(StockCommand::List { dealer_id }) => {
            let ranges = crate::store::stock::list(store.pool(), dealer_id.as_deref()).await?;
            let views: Vec<_> = ranges.iter().map(crate::store::stock::StockRange::view).collect();
            print_json(&serde_json::to_value(views)?);
        }
        Command::Stock(StockCommand::Return { range_id }) => {
            print_json(&report(issuing.return_stock(&actor, *range_id, None).await)?);
        }
        Command::User(UserCommand::Add { username, display_name, role, dealer_id, prefecture }) => {
            let role = Role::parse(role)
                .with_context(|| format!("--role 的值 {role} 无效，应为 dealer_clerk、dealer_admin、officer、prefecture_admin 或 admin"))?;
            let user = NewUser { username: username.clone(), display_name: display_name.clone(), role, dealer_id: dealer_id.clone(), prefecture_code: prefecture.clone() };
            print_json(&report(issuing.create_user(&actor, user, None).await)?);
        }
        Command::User(UserCommand::List) => {
            print_json(&serde_json::to_value(crate::store::users::list(store.pool()).await?)?);
        }
        Command::User(UserCommand::Password { username }) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("无法从标准输入读取密码")?;
            let password = line.trim_end_matches(['\r', '\n']);
            report(issuing.set_password(&actor, username, password).await)?;
            let ended = crate::store::sessions::delete_for_user(store.pool(), username).await?;
            eprintln!("已设置用户 {username} 的登录密码，已退出其 {ended} 个登录会话");
        }
        Command::Serve { .. } | Command::Bench(_) | Command::Generate(_) | Command::Script(_) | Command::Plugin(_) => unreachable!("handled in run"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(store: Store, settings: Arc<Settings>, clock: Clock, rules: Arc<Rules>, plugins: Arc<crate::plugins::PluginHost>, listen: &str) -> anyhow::Result<()> {
    if let Clock::Fixed(instant) = clock {
        tracing::warn!(%instant, "clock fixed for testing; every invoice gets this instant");
    }
    let backend = store.backend();
    let _script_watch = rules.watch().context("无法监视规则脚本和配置目录")?;
    let issuing = Issuing::new(store, settings, clock, rules);
    let app = crate::web::router(crate::web::AppState::new(issuing).with_plugins(plugins));

    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("无法监听 {listen}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, ?backend, "mvis listening");
    // Client addresses reach the pages' login rate limit through ConnectInfo.
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("mvis stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler installs");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}
