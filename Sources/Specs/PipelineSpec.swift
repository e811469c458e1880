import Foundation

/// A pipeline as `slipway.yml` describes it: where the source comes from, how it is built, and
/// the deploy stages it goes through in order.
public struct PipelineSpec: Codable, Sendable, Equatable {
    /// The image builds use when `build.image` is not given: what `slipway image build
    /// images/busybox` imports.
    public static let defaultImage = "busybox"

    public struct Source: Codable, Sendable, Equatable {
        /// A path or URL git can clone.
        public var repository: String
        /// nil: the branch checked out in the repository (its HEAD).
        public var branch: String?
        /// Seconds between polls of the branch; nil: no polling.
        public var pollInterval: Double?

        public init(repository: String, branch: String? = nil, pollInterval: Double? = nil) {
            self.repository = repository
            self.branch = branch
            self.pollInterval = pollInterval
        }
    }

    public struct Build: Codable, Sendable, Equatable {
        public var image: String = PipelineSpec.defaultImage
        /// Relative to the source; nil: `buildspec.yml`, then `buildspec.yaml`.
        public var buildspec: String?
        public var environment: [String: String] = [:]
        /// Seconds before the build is stopped.
        public var timeout: Double = 3600
        /// `build.limits` (and the older `build.memory`); unset ones take the defaults.
        public var limits = BuildLimits()
        /// `unconfined` turns the seccomp filter off (nested containers); recorded in the build.
        public var seccomp: Seccomp = .default
        /// `host` lets the build reach the network; default `none` (its own loopback only).
        public var network: Network = .none
        /// Environment variables whose values come from `slipway secret` (variable → secret
        /// name); only names are kept here, never values.
        public var secrets: [String: String] = [:]
        /// Runtime name (as `runtime-versions` spells it) → the image that provides it; `{version}`
        /// in the reference is replaced by the version the buildspec asks for.
        public var runtimes: [String: String] = [:]
        /// A batch build's identifier whose artifact the deploy stages install; nil: the only
        /// build of the batch that stored one.
        public var deployFrom: String?
        /// Build every commit twice (another checkout path, build id, start time and CPU count)
        /// and fail the stage unless the artifacts are the same (`build.check`).
        public var check = false
        /// Labels a worker must all have to take this pipeline's builds (`build.labels`), when
        /// builds go to `slipway worker` processes: `[amd64, large]`.
        public var labels: [String] = []

        public init() {}

        /// A worker label (`build.labels`, `slipway worker --labels`): letters, digits, `.`, `_`, `-`.
        public static func isLabel(_ text: String) -> Bool {
            !text.isEmpty && text.unicodeScalars.allSatisfy {
                ".-_".unicodeScalars.contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
            }
        }

        /// The key definitions stored before `limits` used for the memory limit.
        private enum StoredBeforeLimits: String, CodingKey { case memoryBytes }

        /// Definitions stored before `network`, `secrets`, `limits`, `seccomp`, `deployFrom`, `check` or `labels` existed still decode.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            image = try c.decode(String.self, forKey: .image)
            buildspec = try c.decodeIfPresent(String.self, forKey: .buildspec)
            environment = try c.decode([String: String].self, forKey: .environment)
            timeout = try c.decode(Double.self, forKey: .timeout)
            limits = try c.decodeIfPresent(BuildLimits.self, forKey: .limits) ?? BuildLimits()
            if let memory = try decoder.container(keyedBy: StoredBeforeLimits.self).decodeIfPresent(Int64.self, forKey: .memoryBytes) {
                limits.memory = limits.memory ?? .limit(memory)
            }
            seccomp = try c.decodeIfPresent(Seccomp.self, forKey: .seccomp) ?? .default
            network = try c.decodeIfPresent(Network.self, forKey: .network) ?? .none
            secrets = try c.decodeIfPresent([String: String].self, forKey: .secrets) ?? [:]
            runtimes = try c.decodeIfPresent([String: String].self, forKey: .runtimes) ?? [:]
            deployFrom = try c.decodeIfPresent(String.self, forKey: .deployFrom)
            check = try c.decodeIfPresent(Bool.self, forKey: .check) ?? false
            labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? []
        }
    }

    public enum Network: String, Codable, Sendable, CaseIterable {
        case none, host
    }

    /// `build.seccomp`: the sandbox's seccomp filter (default) or none.
    public enum Seccomp: String, Codable, Sendable, CaseIterable {
        case `default`, unconfined
    }

    public enum Strategy: String, Codable, Sendable, CaseIterable {
        case oneAtATime = "one-at-a-time", half, all
    }

    public struct Health: Codable, Sendable, Equatable {
        public var url: String?
        public var command: String?
        public var timeout: Double = 30
    }

    public struct DeployStage: Codable, Sendable, Equatable {
        public var name: String
        /// Directories, `ssh://[user@]host[:port]/path`, or `s3://BUCKET[/PREFIX]` (all or none).
        public var targets: [String]
        public var strategy: Strategy = .oneAtATime
        public var health: Health?
        /// A person approves (`slipway approve`) before this stage deploys.
        public var approval = false
        /// Seconds an approval waits before it expires and fails the run; nil: 7 days, as in
        /// CodePipeline.
        public var approvalTimeout: Double?
        /// The path the appspec's `files` use for the release; nil: taken from the appspec.
        public var appRoot: String?
        /// Published releases kept besides current and previous.
        public var keep = 5
        /// Variables the stage's hooks and health command get (staging vs production).
        public var environment: [String: String] = [:]
        /// CodeDeploy's minimum healthy hosts, as written (`3` or `75%`); instead of `strategy`.
        public var minimumHealthyHosts: String?
        /// Run on the deploying machine to take a host out of the load balancer's rotation
        /// before its switch (`SLIPWAY_HOST` names it), and to put it back once it is healthy.
        public var drain: String?
        public var undrain: String?
        /// `s3://` targets: seconds before objects the new release no longer has are deleted;
        /// nil: 600.
        public var grace: Double?

        public init(name: String, targets: [String]) {
            self.name = name
            self.targets = targets
        }

        /// Definitions stored before `environment`, `minimumHealthyHosts`, `drain` or `undrain`
    /// existed still decode.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            targets = try c.decode([String].self, forKey: .targets)
            strategy = try c.decode(Strategy.self, forKey: .strategy)
            health = try c.decodeIfPresent(Health.self, forKey: .health)
            approval = try c.decode(Bool.self, forKey: .approval)
            approvalTimeout = try c.decodeIfPresent(Double.self, forKey: .approvalTimeout)
            appRoot = try c.decodeIfPresent(String.self, forKey: .appRoot)
            keep = try c.decode(Int.self, forKey: .keep)
            environment = try c.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
            minimumHealthyHosts = try c.decodeIfPresent(String.self, forKey: .minimumHealthyHosts)
            drain = try c.decodeIfPresent(String.self, forKey: .drain)
            undrain = try c.decodeIfPresent(String.self, forKey: .undrain)
            grace = try c.decodeIfPresent(Double.self, forKey: .grace)
        }
    }

    /// Where a run's news goes: a JSON POST signed with HMAC-SHA256, or a Slack-compatible
    /// incoming webhook.
    public struct Notification: Codable, Sendable, Equatable {
        public enum Format: String, Codable, Sendable, CaseIterable { case json, slack }
        /// What a run reports.
        public enum Event: String, Codable, Sendable, CaseIterable {
            case started, succeeded, failed, cancelled
            case waitingApproval = "waiting-approval"
        }

        /// The URL as written, or nil when `urlSecret` names a stored secret holding it
        /// (Slack's URLs are credentials).
        public var url: String?
        public var urlSecret: String?
        public var format: Format = .json
        /// The stored secret whose value keys the HMAC signature (JSON deliveries).
        public var signingSecret: String?
        public var events: [Event] = Event.allCases

        public init(url: String? = nil, urlSecret: String? = nil, format: Format = .json) {
            self.url = url
            self.urlSecret = urlSecret
            self.format = format
        }
    }

    public var name: String
    public var source: Source
    public var build = Build()
    public var stages: [DeployStage] = []
    /// Runs the branch head on a timer, even without new commits.
    public var schedule: CronSchedule?
    public var notify: [Notification] = []
    public var retention = Retention()

    public init(name: String, source: Source) {
        self.name = name
        self.source = source
    }

    /// Definitions stored before `schedule`, `notify` and `retention` existed still decode.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        source = try c.decode(Source.self, forKey: .source)
        build = try c.decode(Build.self, forKey: .build)
        stages = try c.decode([DeployStage].self, forKey: .stages)
        schedule = try c.decodeIfPresent(CronSchedule.self, forKey: .schedule)
        notify = try c.decodeIfPresent([Notification].self, forKey: .notify) ?? []
        retention = try c.decodeIfPresent(Retention.self, forKey: .retention) ?? Retention()
    }

    /// Every target in stage order.
    public var targets: [String] { stages.flatMap(\.targets) }

    /// Each deploy stage's targets, by stage name.
    public var stageTargets: [String: [String]] {
        Dictionary(stages.map { ($0.name, $0.targets) }) { first, _ in first }
    }
}
