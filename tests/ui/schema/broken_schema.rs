// A schema with errors reports every one of them, file:line:col, at the literal.
factum::schema!("../../../../tests/ui/schema/broken.factum");

fn main() {}
