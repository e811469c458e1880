// The sandbox helper: set up namespaces and exec the payload (single-threaded by design).
print("slipway-sandbox: not yet implemented")
