//! Demo data for `mvis init --demo`: Hubei's 17 prefectures, one dealer in each pilot city (Wuhan,
//! Xiangyang, Xiantao) with stock, and users for each role, all with the web password
//! [`DEMO_PASSWORD`]. Dealers and people are fictional; the taxpayer ids are made up but pass the
//! GB 32100-2015 check.

use anyhow::bail;

use crate::domain::vat::SellerKind;
use crate::issuing::{Actor, Issuing, IssuingError, NewDealer, NewStockRange, NewUser};
use crate::store::users::Role;
use crate::store::{dealers, prefectures};

pub(crate) const PREFECTURES_CSV: &str = include_str!("../../config/hubei-prefectures.csv");

/// Web sign-in password of every demo user. Demo data only: set real passwords with
/// `mvis user password USER` before anyone else can reach the server.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Invoice code of the demo stock: state tax (1), Hubei (4200), printed 2026 (26), commerce (2), batch 0001.
pub const DEMO_INVOICE_CODE: &str = "142002620001";

struct DemoDealer {
    dealer_id: &'static str,
    prefecture_code: &'static str,
    taxpayer_id: &'static str,
    name: &'static str,
    seller_kind: SellerKind,
    phone: &'static str,
    address: &'static str,
    tax_authority_name: &'static str,
    tax_authority_code: &'static str,
    start_number: &'static str,
    end_number: &'static str,
    clerk: (&'static str, &'static str),
}

const DEALERS: &[DemoDealer] = &[
    DemoDealer {
        dealer_id: "wuhan-jiangcheng",
        prefecture_code: "420100",
        taxpayer_id: "91420100MA4K2W1D3Y",
        name: "武汉江城汽车销售服务有限公司",
        seller_kind: SellerKind::General,
        phone: "027-84561234",
        address: "武汉市经济技术开发区车城大道 88 号",
        tax_authority_name: "国家税务总局武汉经济技术开发区税务局",
        tax_authority_code: "14201000000",
        start_number: "00000001",
        end_number: "00200000",
        clerk: ("clerk-wuhan-1", "王开票"),
    },
    DemoDealer {
        dealer_id: "xiangyang-hanjiang",
        prefecture_code: "420600",
        taxpayer_id: "91420600MA48A2B79K",
        name: "襄阳汉江汽车贸易有限公司",
        seller_kind: SellerKind::General,
        phone: "0710-3456789",
        address: "襄阳市高新区汽车产业园 12 号",
        tax_authority_name: "国家税务总局襄阳市税务局",
        tax_authority_code: "14206000000",
        start_number: "00200001",
        end_number: "00400000",
        clerk: ("clerk-xiangyang-1", "李开票"),
    },
    DemoDealer {
        dealer_id: "xiantao-xintong",
        prefecture_code: "429004",
        taxpayer_id: "91429004MA49C3F1XM",
        name: "仙桃鑫通汽车销售有限公司",
        seller_kind: SellerKind::SmallScale,
        phone: "0728-3216547",
        address: "仙桃市仙桃大道 168 号",
        tax_authority_name: "国家税务总局仙桃市税务局",
        tax_authority_code: "14290040000",
        start_number: "00400001",
        end_number: "00500000",
        clerk: ("clerk-xiantao-1", "张开票"),
    },
];

/// Writes the demo data. Running it again on a seeded database changes nothing.
pub async fn seed(issuing: &Issuing, actor: &Actor) -> anyhow::Result<()> {
    let mut conn = issuing.store().pool().acquire().await?;
    for prefecture in prefectures::parse_csv(PREFECTURES_CSV).map_err(anyhow::Error::msg)? {
        prefectures::upsert(&mut conn, &prefecture).await?;
    }
    let already_seeded = dealers::get(&mut conn, DEALERS[0].dealer_id).await?.is_some();
    drop(conn);
    if already_seeded {
        eprintln!("演示数据已存在，未重复写入");
        return Ok(());
    }

    for demo in DEALERS {
        let dealer = NewDealer {
            dealer_id: demo.dealer_id.to_string(),
            prefecture_code: demo.prefecture_code.to_string(),
            taxpayer_id: demo.taxpayer_id.to_string(),
            name: demo.name.to_string(),
            seller_kind: demo.seller_kind,
            phone: demo.phone.to_string(),
            address: demo.address.to_string(),
            bank: "中国建设银行湖北省分行".to_string(),
            account: "42001234567890123456".to_string(),
            tax_authority_name: demo.tax_authority_name.to_string(),
            tax_authority_code: demo.tax_authority_code.to_string(),
        };
        expect_created(issuing.create_dealer(actor, dealer, None).await)?;

        let range = NewStockRange {
            dealer_id: demo.dealer_id.to_string(),
            invoice_code: DEMO_INVOICE_CODE.to_string(),
            start_number: demo.start_number.to_string(),
            end_number: demo.end_number.to_string(),
        };
        expect_created(issuing.allocate_stock(actor, range, None).await)?;

        let (username, display_name) = demo.clerk;
        let clerk = NewUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            role: Role::DealerClerk,
            dealer_id: Some(demo.dealer_id.to_string()),
            prefecture_code: None,
        };
        expect_created(issuing.create_user(actor, clerk, None).await)?;
    }

    const OTHER_USERS: [(&str, &str, Role, Option<&str>, Option<&str>); 5] = [
        ("officer-wuhan", "武汉市车购税科", Role::Officer, None, Some("420100")),
        ("officer-hubei", "湖北省税务局", Role::Officer, None, Some("420000")),
        ("admin", "系统管理员", Role::Admin, None, None),
        ("dealer-admin-wuhan", "江城汽车管理员", Role::DealerAdmin, Some("wuhan-jiangcheng"), None),
        ("admin-wuhan", "武汉市税务局管理员", Role::PrefectureAdmin, None, Some("420100")),
    ];
    for (username, display_name, role, dealer_id, prefecture_code) in OTHER_USERS {
        let user = NewUser {
            username: username.to_string(),
            display_name: display_name.to_string(),
            role,
            dealer_id: dealer_id.map(str::to_string),
            prefecture_code: prefecture_code.map(str::to_string),
        };
        expect_created(issuing.create_user(actor, user, None).await)?;
    }

    let demo_users = DEALERS.iter().map(|demo| demo.clerk.0).chain(OTHER_USERS.iter().map(|user| user.0));
    for username in demo_users {
        expect_created(issuing.set_password(actor, username, DEMO_PASSWORD).await)?;
    }
    eprintln!(
        "已写入演示数据：湖北 17 个地市、3 个演示销货单位及号码段、用户 clerk-wuhan-1、clerk-xiangyang-1、clerk-xiantao-1、\
         officer-wuhan、officer-hubei、admin、dealer-admin-wuhan、admin-wuhan；网页登录密码均为 {DEMO_PASSWORD}"
    );
    Ok(())
}

fn expect_created(result: Result<crate::store::writer::JobOutput, IssuingError>) -> anyhow::Result<()> {
    match result {
        Ok(_) => Ok(()),
        Err(IssuingError::Rejected(rejection)) => bail!("演示数据写入失败：{}（{}）", rejection.message, rejection.code),
        Err(err) => Err(err.into()),
    }
}
