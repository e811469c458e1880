import Foundation

/// moto's S3 server mode (`python3 -m moto.server`) on 127.0.0.1, started once per test
/// process and killed with it, with request signing enforced: after the first four requests
/// (which make an IAM user with an S3 policy and an access key, and the bucket `bucket`)
/// every request must carry a valid SigV4 signature by that key, as on AWS.
public final class MotoServer: Sendable {
    /// The environment the AWS tools (and Slipway) read: this server's endpoint, the access
    /// key made for the tests, and the region.
    public let environment: [String: String]
    public static let bucket = "slipway-tests"
    public static let region = "us-east-1"

    /// Whether moto's server mode can be imported (scripts/install-deps installs it).
    public static var available: Bool {
        (try? Program.run("/usr/bin/env", ["python3", "-c", "import moto.server, boto3"]))?.status == 0
    }

    private static let started = StartedOnce<MotoServer>("moto")

    public static func shared() throws -> MotoServer {
        try started.get { try MotoServer() }
    }

    private init() throws {
        let directory = try TemporaryDirectory.forThisProcess("slipway-moto")
        var failure: String?
        for _ in 0..<3 {
            let port = Int.random(in: 20000...60000)
            let process = try launchServer(["/usr/bin/env", "python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)],
                                           environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "4"], log: directory + "/moto-\(port).log")
            let endpoint = "http://127.0.0.1:\(port)"
            guard awaitListening(process, port: port, seconds: 20) else {
                kill(process.processIdentifier, SIGKILL)
                continue
            }
            let bootstrap = """
                boto3, json = __import__("boto3"), __import__("json")
                kw = dict(endpoint_url="\(endpoint)", region_name="\(Self.region)", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
                iam = boto3.client("iam", **kw)
                iam.create_user(UserName="slipway")
                iam.put_user_policy(UserName="slipway", PolicyName="s3", PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
                key = iam.create_access_key(UserName="slipway")["AccessKey"]
                boto3.client("s3", **kw).create_bucket(Bucket="\(Self.bucket)")
                print(key["AccessKeyId"], key["SecretAccessKey"])
                """
            let made = try Program.run("/usr/bin/env", ["python3", "-c", bootstrap])
            let words = made.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard made.status == 0, words.count == 2 else {
                // A server that went away before it answered: another port, another try.
                failure = "moto's bootstrap failed: \(made)"
                kill(process.processIdentifier, SIGKILL)
                continue
            }
            environment = ["AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": words[0], "AWS_SECRET_ACCESS_KEY": words[1],
                           "AWS_REGION": Self.region, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"]
            return
        }
        throw TestFailure(failure ?? "moto's S3 server did not start; see \(directory)")
    }
}
