"""Business rules. Services take plain values, raise opengovfood.errors, know no protobuf."""
