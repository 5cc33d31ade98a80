// A schema path that does not exist is reported at the literal.
factum::schema!("schemas/does_not_exist.factum");

fn main() {}
