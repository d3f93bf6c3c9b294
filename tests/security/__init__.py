"""Every URL of the URLconf, as every role, with objects of another scope in every parameter."""
