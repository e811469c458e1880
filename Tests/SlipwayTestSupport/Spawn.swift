import CLinux
import Foundation

/// Starts `argv` with posix_spawn and waitpid left to the caller (safe in an atexit handler,
/// and independent of Foundation's child monitoring): standard input /dev/null, stdout and
/// stderr into the file `output`, and no other descriptor of this process. Foundation's pipes
/// are not close-on-exec: a long-lived child (a daemon a test starts) that kept another
/// test's pipe would keep that test's reader waiting. Returns the pid, or -1.
public func spawnToFile(_ argv: [String], environment: [String: String], output: String) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    _ = cl_spawn_close_from(&actions, 3, 0)
    let args = argv.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { args.forEach { free($0) }; envp.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, args, envp) == 0 else { return -1 }
    return pid
}

/// Waits for a child `spawnToFile` started; its exit status (128 + the signal when killed).
public func waitForChild(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
