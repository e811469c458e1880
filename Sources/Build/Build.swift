// The Build module: see the issue tracker for its scope.
