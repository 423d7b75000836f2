"""portal blueprint."""
