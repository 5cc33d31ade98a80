// A schema with errors reports every one of them, file:line:col, at the literal.
factum::schema!("$FACTUM_UI_CASES/schema/broken.factum");

fn main() {}
