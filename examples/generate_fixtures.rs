//! Writes the reference-architecture fixture snapshots into `fixtures/`:
//! `cargo run --example generate_fixtures`.

use flate2::Compression;
use flate2::write::GzEncoder;
use ssoaudit_generate::{
    Variant, member_refused, reference, reference_history, reference_previous,
    reference_week_later, reference_without_events,
};
use std::io::Write;

fn main() -> std::io::Result<()> {
    for (variant, name) in [
        (
            Variant::Compliant,
            "fixtures/reference-compliant.snapshot.json",
        ),
        (
            Variant::Violating,
            "fixtures/reference-violating.snapshot.json",
        ),
    ] {
        std::fs::write(name, reference(variant).to_canonical_json())?;
        println!("wrote {name}");
    }
    // The violating organization scanned with a member role that plat-staging refuses.
    let name = "fixtures/reference-violating-member-refused.snapshot.json";
    std::fs::write(name, member_refused().to_canonical_json())?;
    println!("wrote {name}");
    let name = "fixtures/reference-violating-previous.snapshot.json";
    std::fs::write(name, reference_previous().to_canonical_json())?;
    println!("wrote {name}");
    let name = "fixtures/reference-compliant-week-later.snapshot.json";
    std::fs::write(name, reference_week_later().to_canonical_json())?;
    println!("wrote {name}");

    // The event history as trail log files, one per day, in the S3 layout.
    let root = std::path::Path::new("fixtures/cloudtrail/reference-history");
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    let account = "100000000001";
    let days = reference_history(&reference_without_events(Variant::Violating), true);
    for (day, records) in &days {
        let folder = root.join(format!(
            "AWSLogs/o-a1b2c3d4e5/{account}/CloudTrail/us-east-1/{day}"
        ));
        std::fs::create_dir_all(&folder)?;
        let stamp = day.replace('/', "");
        let file = folder.join(format!(
            "{account}_CloudTrail_us-east-1_{stamp}T0000Z_fixture{stamp}.json.gz"
        ));
        let body = serde_json::to_string(&serde_json::json!({ "Records": records }))?;
        let mut encoder = GzEncoder::new(std::fs::File::create(&file)?, Compression::default());
        encoder.write_all(body.as_bytes())?;
        encoder.finish()?;
    }
    println!("wrote {} log files under {}", days.len(), root.display());
    Ok(())
}
