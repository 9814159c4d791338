use super::Parsed;
pub(crate) fn parse(_source: &str) -> Parsed { todo!() }
