// The Deploy module: see the issue tracker for its scope.
