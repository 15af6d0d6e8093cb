//! The pages in headless Chromium against the real server, on SQLite and PostgreSQL. The tests
//! cover sign-in, issuing from the keyboard with live checks and the confirmation figures, void,
//! the officer's lookup, the feedback round trip and administration. They also open another
//! dealer's invoice as a clerk, which must be rejected.
//! The SQLite run saves screenshots to `MVIS_SCREENSHOT_DIR` when it is set (the user guide's
//! pictures under docs/zh-CN/screenshots come from there).

mod harness;

use std::path::PathBuf;

use fantoccini::key::Key;
use harness::{Browser, WINDOW};
use mvis_tests::{Backend, TestDatabase, TestServer, backends, draft, repo_root, test_vin};
use serde_json::json;

/// The demo users' web password (`mvis init --demo`).
const PASSWORD: &str = "demo-password";

/// 2017-07-19 10:00 in China, when the VAT rate was 17 %: printed sample B's figures apply.
const SAMPLE_DATE: &str = "2017-07-19T10:00:00+08:00";

/// Returns where the SQLite run saves screenshots; a relative `MVIS_SCREENSHOT_DIR` is taken from
/// the repository root, because cargo runs tests inside `tests/`.
fn screenshot_dir(backend: Backend) -> Option<PathBuf> {
    match backend {
        Backend::Sqlite => std::env::var_os("MVIS_SCREENSHOT_DIR").map(|dir| repo_root().join(dir)),
        Backend::Postgres => None,
    }
}

async fn demo(backend: Backend, name: &str) -> (TestDatabase, TestServer) {
    let database = TestDatabase::create(backend, name).await;
    database.init_demo();
    let server = database.serve(Some(SAMPLE_DATE));
    (database, server)
}

/// Sample B of the printed invoices, in form order: (field id, value).
const SAMPLE_B: &[(&str, &str)] = &[
    ("buyer_name", "张三"),
    ("buyer_id", "11010519491231002X"),
    ("vehicle_type", "轿车"),
    ("brand_model", "一汽-大众 FV7152BAMBG"),
    ("origin", "长春市"),
    ("certificate_number", "WAB011715201804"),
    ("import_certificate_number", ""),
    ("inspection_number", ""),
    ("engine_number", "144878"),
    ("vin", "LFV2A1151H3201804"),
    ("total_amount", "99000.00"),
    ("tax_payment_voucher_number", ""),
    ("tonnage", ""),
    ("seating_capacity", "5"),
];

#[tokio::test]
async fn clerk_issues_from_keyboard_and_voids() {
    for backend in backends() {
        let shots = screenshot_dir(backend);
        let (_database, server) = demo(backend, "browser_issue").await;
        let browser = Browser::start().await;
        let base = &server.base_url;

        // A wrong password is rejected with a message, and the right one opens the issue form.
        browser.goto(&format!("{base}/invoices")).await;
        assert!(browser.path().await.starts_with("/login?next=/invoices"), "{backend:?}: {}", browser.path().await);
        browser.screenshot(shots.as_deref(), "01-login").await;
        browser.submit_login(base, "clerk-wuhan-1", "wrong-password").await;
        let message = browser.text(".error-summary").await;
        assert!(message.contains("用户名或密码错误"), "{message}");
        browser.sign_in(base, "clerk-wuhan-1", PASSWORD).await;
        browser.find("#issue-form").await;
        browser.wait_for_path("/invoices/new").await;

        // Keyboard only: the buyer's name has focus, Tab walks the fields in invoice order.
        assert_eq!(browser.focused().await, "buyer_name");
        for (index, (field, value)) in SAMPLE_B.iter().enumerate() {
            assert_eq!(browser.focused().await, *field, "{backend:?}: focus before field {index}");
            if *field == "vin" {
                // A wrong check digit shows the API's message beside the field once the clerk moves on.
                browser.type_keys("LFV2A1152H3201804").await;
                browser.type_keys(&Key::Tab.to_string()).await;
                let error = browser.wait_for_text("#vin-error", "校验位").await;
                assert!(error.contains("车辆识别代号"), "{error}");
                browser.type_keys(&(Key::Shift + &Key::Tab.to_string())).await;
                assert_eq!(browser.focused().await, "vin");
                browser.type_keys(&(Key::Control + "a")).await;
                browser.type_keys(&Key::Backspace.to_string()).await;
            }
            if !value.is_empty() {
                browser.type_keys(value).await;
            }
            browser.type_keys(&Key::Tab.to_string()).await;
        }
        assert_eq!(browser.focused().await, "remarks");

        // The live preview fills the computed cells with sample B's printed figures.
        browser.wait_for_text("[data-computed=price_excluding_vat]", "84615.38").await;
        assert_eq!(browser.text("[data-computed=vat_amount]").await, "¥14384.62");
        assert_eq!(browser.text("[data-computed=total_amount_uppercase]").await, "玖万玖仟圆整");
        assert_eq!(browser.text("[data-computed=vat_rate]").await, "0.17");
        assert_eq!(browser.text("#vin-error").await, "", "the corrected VIN clears its error");
        browser.screenshot(shots.as_deref(), "02-issue-form").await;

        // Enter submits; the confirmation shows net price, VAT and 大写, and has the focus on 确认开具.
        browser.type_keys(&Key::Enter.to_string()).await;
        assert_eq!(browser.text("#confirm-net").await, "¥84615.38");
        assert_eq!(browser.text("#confirm-vat").await, "¥14384.62");
        assert_eq!(browser.text("#confirm-uppercase").await, "玖万玖仟圆整");
        assert_eq!(browser.text("#confirm-total").await, "¥99000.00");
        assert_eq!(browser.focused().await, "confirm-issue");
        browser.screenshot(shots.as_deref(), "03-confirm").await;
        browser.type_keys(&Key::Enter.to_string()).await;

        let status = browser.text("#invoice-status").await;
        assert_eq!(status, "正常", "{backend:?}");
        browser.wait_for_path("/invoices/142002620001/00000001?notice=issued").await;
        assert!(browser.text(".notice").await.contains("发票已开具"));
        assert!(browser.text("#history-table").await.contains("开具"));
        assert_eq!(browser.find_all_count("#print-preview").await, 1, "PDF preview link");
        assert_eq!(browser.find_all_count("#print-escp").await, 1, "ESC/P download link");
        browser.screenshot(shots.as_deref(), "04-invoice-detail").await;

        // Issuing the same vehicle again is refused with the API's message beside the VIN.
        browser.goto(&format!("{base}/invoices/new")).await;
        for (field, value) in SAMPLE_B.iter().filter(|(_, value)| !value.is_empty()) {
            browser.fill(&format!("#{field}"), value).await;
        }
        browser.click("#issue-form button[type=submit]").await;
        browser.click("#confirm-issue").await;
        let error = browser.text("#vin-error").await;
        assert!(error.contains("已开具发票"), "{backend:?}: {error}");

        // Void in the month of issue.
        browser.goto(&format!("{base}/invoices/142002620001/00000001")).await;
        browser.click("#void-button").await;
        browser.wait_for_text("#invoice-status", "已作废").await;
        assert!(browser.text("#history-table").await.contains("作废"));

        // The list shows the voided invoice; the page fits 1366 pixels without sideways scrolling.
        browser.goto(&format!("{base}/invoices")).await;
        assert!(browser.text("#invoice-table").await.contains("已作废"));
        assert!(browser.scroll_width().await <= u64::from(WINDOW.0), "{backend:?}: list overflows the window");
        browser.screenshot(shots.as_deref(), "05-invoice-list").await;
        browser.goto(&format!("{base}/stock")).await;
        assert_eq!(browser.text("#stock-remaining").await, "199999");
        browser.screenshot(shots.as_deref(), "06-stock").await;
        browser.close().await;
    }
}

#[tokio::test]
async fn lookup_and_foreign_invoice_rejected() {
    for backend in backends() {
        let shots = screenshot_dir(backend);
        let (database, server) = demo(backend, "browser_lookup").await;
        let base = &server.base_url;
        let wuhan = database.token("clerk-wuhan-1");
        let vin = test_vin(41, 1);
        let issued = server.post(&wuhan, "/api/v1/invoices", &draft(&vin, "150000.00")).await;
        assert_eq!(issued.status, 201, "{}", issued.body);
        let number = issued.body["invoice_number"].as_str().expect("number").to_string();

        // The officer finds it by code and number, with its ledger history, and by VIN.
        let browser = Browser::start().await;
        browser.sign_in(base, "officer-wuhan", PASSWORD).await;
        browser.wait_for_path("/lookup").await;
        browser.fill("#code", "142002620001").await;
        browser.fill("#number", &number).await;
        browser.click("#lookup-by-number button").await;
        browser.wait_for_path(&format!("/invoices/142002620001/{number}")).await;
        assert!(browser.text("#history-table").await.contains("clerk-wuhan-1"));
        assert!(browser.find_all_count("#void-button").await == 0, "an officer cannot void");
        browser.screenshot(shots.as_deref(), "07-officer-detail").await;

        // The officer sees the purchase tax and marks the invoice declared.
        assert!(browser.text("#purchase-tax").await.contains("应纳税额"));
        browser.fill("#declaration_number", "WH-2017-0719").await;
        browser.click("#declare-form button").await;
        let declared = browser.wait_for_text("#declaration-state", "WH-2017-0719").await;
        assert!(declared.contains("已登记车辆购置税申报"), "{declared}");
        assert!(browser.text("#history-table").await.contains("登记车辆购置税申报"));
        assert_eq!(browser.find_all_count("#declare-form").await, 0, "a declared invoice offers no second declaration");
        browser.client.execute("document.getElementById('declaration').scrollIntoView()", vec![]).await.expect("scroll to the declaration");
        browser.screenshot(shots.as_deref(), "15-officer-declared").await;

        browser.goto(&format!("{base}/lookup")).await;
        browser.fill("#vin", &vin.to_lowercase()).await;
        browser.click("#lookup-by-vin button").await;
        assert!(browser.text("#lookup-results").await.contains(&vin));
        browser.screenshot(shots.as_deref(), "08-officer-lookup").await;

        browser.fill("#code", "142002620001").await;
        browser.fill("#number", "00399999").await;
        browser.click("#lookup-by-number button").await;
        assert!(browser.text(".error-summary").await.contains("未找到"));
        browser.sign_out().await;

        // The issuing clerk no longer gets a void button for the declared invoice.
        browser.sign_in(base, "clerk-wuhan-1", PASSWORD).await;
        browser.goto(&format!("{base}/invoices/142002620001/{number}")).await;
        assert!(browser.text("#declaration-state").await.contains("WH-2017-0719"));
        assert_eq!(browser.find_all_count("#void-button").await, 0, "a declared invoice cannot be voided");
        browser.sign_out().await;

        // Xiangyang's clerk opens Wuhan's invoice by URL: refused as not found, and no admin page.
        browser.sign_in(base, "clerk-xiangyang-1", PASSWORD).await;
        browser.goto(&format!("{base}/invoices/142002620001/{number}")).await;
        let refused = browser.text(".error-summary").await;
        assert!(refused.contains("未找到"), "{backend:?}: {refused}");
        assert!(!browser.client.source().await.expect("page source").contains(&vin), "the VIN must not leak");
        browser.goto(&format!("{base}/invoices?vin={vin}")).await;
        assert!(browser.text("#invoice-table").await.contains("没有符合条件的发票"));
        browser.goto(&format!("{base}/admin/users")).await;
        assert!(browser.text(".error-summary").await.contains("管理员"));
        browser.close().await;
    }
}

#[tokio::test]
async fn feedback_round_trip() {
    for backend in backends() {
        let shots = screenshot_dir(backend);
        let (_database, server) = demo(backend, "browser_feedback").await;
        let base = &server.base_url;
        let browser = Browser::start().await;

        browser.sign_in(base, "clerk-xiantao-1", PASSWORD).await;
        browser.goto(&format!("{base}/feedback")).await;
        browser.find("#category").await.select_by_value("fault").await.expect("choose category");
        browser.fill("#body", "打印机走纸偏移约 2 毫米，请协助校准").await;
        browser.click("#feedback-form button").await;
        browser.wait_for_text("#feedback-status", "待答复").await;
        let path = browser.path().await;
        let feedback_path = path.split('?').next().expect("path").to_string();
        browser.sign_out().await;

        browser.sign_in(base, "admin", PASSWORD).await;
        browser.goto(&format!("{base}/feedback")).await;
        assert!(browser.text("#feedback-table").await.contains("打印机走纸偏移"));
        browser.goto(&format!("{base}{feedback_path}")).await;
        browser.fill("#answer", "请在打印机设置页调整纵向偏移 -2 毫米后重试").await;
        browser.click("#answer-form button").await;
        browser.wait_for_text("#feedback-status", "已答复").await;
        browser.screenshot(shots.as_deref(), "09-feedback-answer").await;
        browser.click("#close-form button").await;
        browser.wait_for_text("#feedback-status", "已关闭").await;
        browser.sign_out().await;

        browser.sign_in(base, "clerk-xiantao-1", PASSWORD).await;
        browser.goto(&format!("{base}{feedback_path}")).await;
        assert!(browser.text("#feedback-answer").await.contains("纵向偏移 -2 毫米"));
        assert_eq!(browser.text("#feedback-status").await, "已关闭");
        assert_eq!(browser.find_all_count("#answer-form").await, 0, "a submitter cannot answer");

        // Another dealer's clerk cannot read it.
        browser.sign_out().await;
        browser.sign_in(base, "clerk-wuhan-1", PASSWORD).await;
        browser.goto(&format!("{base}{feedback_path}")).await;
        assert!(browser.text(".error-summary").await.contains("未找到反馈"));
        browser.close().await;
    }
}

#[tokio::test]
async fn administrators_manage_within_scope() {
    for backend in backends() {
        let shots = screenshot_dir(backend);
        let (_database, server) = demo(backend, "browser_admin").await;
        let base = &server.base_url;
        let browser = Browser::start().await;

        // The province administrator allocates stock, creates a clerk with a password, and
        // switches Wuhan to live.
        browser.sign_in(base, "admin", PASSWORD).await;
        browser.wait_for_path("/admin/dealers").await;
        assert!(browser.text("#dealer-table").await.contains("仙桃鑫通汽车销售有限公司"));
        browser.screenshot(shots.as_deref(), "10-admin-dealers").await;

        browser.goto(&format!("{base}/admin/stock")).await;
        browser.find("select[name=dealer_id]").await.select_by_value("xiantao-xintong").await.expect("choose dealer");
        browser.fill("input[name=invoice_code]", "142002620002").await;
        browser.fill("input[name=start_number]", "00000001").await;
        browser.fill("input[name=end_number]", "00000030").await;
        browser.click("form.grid-form button").await;
        assert!(browser.text(".notice").await.contains("号码段已分配"));
        assert!(browser.text("#stock-table").await.contains("142002620002"));
        browser.fill("input[name=invoice_code]", "142002620002").await;
        browser.fill("input[name=start_number]", "00000020").await;
        browser.fill("input[name=end_number]", "00000040").await;
        browser.click("form.grid-form button").await;
        assert!(browser.text(".error-summary").await.contains("重叠"), "overlap is refused with the API's message");
        browser.screenshot(shots.as_deref(), "11-admin-stock").await;

        browser.goto(&format!("{base}/admin/users")).await;
        browser.fill("input[name=username]", "clerk-xiantao-2").await;
        browser.fill("input[name=display_name]", "赵开票").await;
        browser.find("select[name=role]").await.select_by_value("dealer_clerk").await.expect("choose role");
        browser.find("select[name=dealer_id]").await.select_by_value("xiantao-xintong").await.expect("choose dealer");
        browser.fill("#new-user-password", "new-clerk-password").await;
        browser.click("form.grid-form button").await;
        assert!(browser.text(".notice").await.contains("用户已创建"));
        assert!(browser.text("#user-table").await.contains("clerk-xiantao-2"));
        browser.screenshot(shots.as_deref(), "12-admin-users").await;

        browser.goto(&format!("{base}/admin/prefectures")).await;
        browser.click("form[action='/admin/prefectures/420100/switch'] button").await;
        assert!(browser.text(".notice").await.contains("正式上线"));
        assert!(browser.text("#prefecture-table").await.contains("正式上线"));
        browser.screenshot(shots.as_deref(), "13-admin-prefectures").await;

        // The runtime page lists each prefecture's script set as the server loaded it.
        browser.goto(&format!("{base}/admin/runtime")).await;
        let scripts = browser.text("#script-table").await;
        assert!(scripts.contains("420100"), "{scripts}");
        assert!(scripts.contains("hubei"), "{scripts}");
        browser.screenshot(shots.as_deref(), "14-admin-runtime").await;
        browser.sign_out().await;

        // The new clerk signs in with the password the administrator set, and the stock includes the new range.
        browser.sign_in(base, "clerk-xiantao-2", "new-clerk-password").await;
        browser.wait_for_path("/invoices/new").await;
        browser.goto(&format!("{base}/stock")).await;
        assert_eq!(browser.text("#stock-remaining").await, "100030");
        browser.sign_out().await;

        // Wuhan's prefecture administrator lists only Wuhan's dealers and prefecture.
        browser.sign_in(base, "admin-wuhan", PASSWORD).await;
        let dealers = browser.text("#dealer-table").await;
        assert!(dealers.contains("wuhan-jiangcheng"), "{dealers}");
        assert!(!dealers.contains("xiantao-xintong"), "{dealers}");
        browser.goto(&format!("{base}/admin/prefectures")).await;
        let prefectures = browser.text("#prefecture-table").await;
        assert!(prefectures.contains("420100"), "{prefectures}");
        assert!(!prefectures.contains("420600"), "{prefectures}");
        browser.goto(&format!("{base}/admin/runtime")).await;
        assert!(browser.text(".error-summary").await.contains("省级管理员"), "the runtime page is for the province");
        browser.close().await;
    }
}

/// Sign-in rate limit and CSRF, over plain HTTP: the browser adds nothing to these checks.
#[tokio::test]
async fn login_rate_limit_and_csrf() {
    for backend in backends() {
        let (_database, server) = demo(backend, "browser_limits").await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let login = |password: &'static str| {
            client.post(format!("{}/login", server.base_url)).form(&[("username", "officer-wuhan"), ("password", password)]).send()
        };
        for attempt in 0..5 {
            let reply = login("wrong-password").await.expect("login reaches server");
            assert_eq!(reply.status().as_u16(), 401, "{backend:?}: attempt {attempt}");
        }
        let locked = login(PASSWORD).await.expect("login reaches server");
        assert_eq!(locked.status().as_u16(), 429);
        let body = locked.text().await.expect("body");
        assert!(body.contains("登录失败次数过多"), "{body}");
        assert!(body.contains("分钟后再试"), "{body}");

        let signed_in = login_as(&client, &server, "clerk-wuhan-1").await;
        let cookie = signed_in.split(';').next().expect("cookie pair").to_string();
        assert!(signed_in.contains("HttpOnly"), "{signed_in}");
        assert!(signed_in.contains("SameSite=Strict"), "{signed_in}");
        let forged = client
            .post(format!("{}/feedback", server.base_url))
            .header("Cookie", &cookie)
            .form(&[("category", "other"), ("body", "无令牌的表单")])
            .send()
            .await
            .expect("post reaches server");
        assert_eq!(forged.status().as_u16(), 403);
        assert!(forged.text().await.expect("body").contains("CSRF"));

        // The live check is a POST too: without the CSRF header it is refused.
        let preview = client.post(format!("{}/invoices/preview", server.base_url)).header("Cookie", &cookie).json(&json!({})).send().await.expect("preview");
        assert_eq!(preview.status().as_u16(), 403);
    }
}

async fn login_as(client: &reqwest::Client, server: &TestServer, username: &str) -> String {
    let reply = client.post(format!("{}/login", server.base_url)).form(&[("username", username), ("password", PASSWORD)]).send().await.expect("login");
    assert_eq!(reply.status().as_u16(), 303);
    reply.headers().get("set-cookie").expect("session cookie").to_str().expect("ASCII cookie").to_string()
}

/// The roles added with the pages keep their scopes in the JSON API, and `mvis user password`
/// sets a password the sign-in page accepts.
#[tokio::test]
async fn new_roles_scoped_in_api_and_cli() {
    for backend in backends() {
        let (database, server) = demo(backend, "browser_roles").await;
        let wuhan_clerk = database.token("clerk-wuhan-1");
        let xiangyang_clerk = database.token("clerk-xiangyang-1");
        let dealer_admin = database.token("dealer-admin-wuhan");
        let prefecture_admin = database.token("admin-wuhan");

        let wuhan = server.post(&wuhan_clerk, "/api/v1/invoices", &draft(&test_vin(42, 1), "120000.00")).await;
        let xiangyang = server.post(&xiangyang_clerk, "/api/v1/invoices", &draft(&test_vin(42, 2), "130000.00")).await;
        let path = |reply: &mvis_tests::Reply| format!("/api/v1/invoices/142002620001/{}", reply.body["invoice_number"].as_str().expect("number"));

        // A dealer administrator reads the own dealer's invoices but issues nothing.
        assert_eq!(server.get(&dealer_admin, &path(&wuhan)).await.status, 200, "{backend:?}");
        assert_eq!(server.get(&dealer_admin, &path(&xiangyang)).await.status, 404);
        assert_eq!(server.post(&dealer_admin, "/api/v1/invoices", &draft(&test_vin(42, 3), "1.00")).await.status, 403);

        // A prefecture administrator reads and manages only the own prefecture.
        assert_eq!(server.get(&prefecture_admin, &path(&wuhan)).await.status, 200);
        assert_eq!(server.get(&prefecture_admin, &path(&xiangyang)).await.status, 404);
        let dealers = server.get(&prefecture_admin, "/api/v1/admin/dealers").await;
        assert_eq!(dealers.body["dealers"].as_array().expect("dealers").len(), 1, "{}", dealers.body);
        let foreign_range = json!({ "dealer_id": "xiangyang-hanjiang", "invoice_code": "142002620003", "start_number": "00000001", "end_number": "00000010" });
        let refused = server.post(&prefecture_admin, "/api/v1/admin/stock-ranges", &foreign_range).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(refused.body["error"]["code"], "outside_scope");
        let province_admin = json!({ "username": "x-admin", "display_name": "越权", "role": "province_admin" });
        assert_eq!(server.post(&prefecture_admin, "/api/v1/admin/users", &province_admin).await.status, 403);

        // `province_admin` is accepted as the name of the province administrator role.
        let admin = database.token("admin");
        let created = server.post(&admin, "/api/v1/admin/users", &province_admin).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.body["role"], "admin");

        // The command line sets a password from standard input, and signing in works with it.
        let mut command = std::process::Command::new(mvis_tests::mvis_bin());
        command.arg("--data-dir").arg(&database.data_dir).arg("--config-dir").arg(repo_root().join("config"));
        command.args(["user", "password", "officer-wuhan"]).env_remove("MVIS_DATABASE_URL");
        command.env("MVIS_SCRIPTS_DIR", &database.scripts_dir).env("MVIS_PLUGIN_DIR", database.data_dir.join("plugins"));
        if let Some(url) = &database.database_url {
            command.env("MVIS_DATABASE_URL", url);
        }
        command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("run mvis user password");
        std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), b"a-new-password-1\n").expect("write password");
        let output = child.wait_with_output().expect("mvis user password finishes");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let login = |password: &'static str| client.post(format!("{}/login", server.base_url)).form(&[("username", "officer-wuhan"), ("password", password)]).send();
        assert_eq!(login(PASSWORD).await.expect("login").status().as_u16(), 401, "the demo password no longer works");
        assert_eq!(login("a-new-password-1").await.expect("login").status().as_u16(), 303);
    }
}
