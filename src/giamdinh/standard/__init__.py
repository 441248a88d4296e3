"""The QĐ 130/4750 claim standard: table specs, secure XML reader/writer, reception."""
