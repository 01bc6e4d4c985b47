//! Writes the reference-architecture fixture snapshots into `fixtures/`:
//! `cargo run --example generate_fixtures`.

use ssoaudit::generate::{Variant, reference, reference_week_later};

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
    let name = "fixtures/reference-compliant-week-later.snapshot.json";
    std::fs::write(name, reference_week_later().to_canonical_json())?;
    println!("wrote {name}");
    Ok(())
}
