import Foundation

/// Debian's nginx, as the tests run it: in the foreground, its own files under a test directory.
public enum Nginx {
    public static let binary = "/usr/sbin/nginx"

    /// Writes `directory/nginx.conf` and returns its path: nginx in the foreground with `main`
    /// directives (process model, user), its pid file, error log and every temporary path
    /// under `directory` (not under /var, which a test must not touch), no access log, and
    /// `http` inside the http block.
    @discardableResult
    public static func writeConfiguration(directory: String, main: [String], http: String) throws -> String {
        let temporary = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "    \($0)_temp_path \(directory)/tmp-\($0);\n" }.joined()
        let conf = "daemon off;\n" + main.map { $0 + "\n" }.joined() + """
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
            \(temporary)\(http)
            }

            """
        let path = directory + "/nginx.conf"
        try Data(conf.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
