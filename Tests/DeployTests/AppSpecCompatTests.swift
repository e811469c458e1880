import Foundation
import SlipwayTestSupport
@testable import Specs
import Testing

/// Every real appspec in the compatibility corpus parses to a precise outcome.
@Suite(.tags(.small)) struct AppSpecCompatTests {
    static let compat = CompatCorpus.appspecs

    /// File name → nil for a clean parse, or a substring of the single expected error.
    static let expected: [String: String?] = [
        "0pointr__aws-bootstrap__appspec.yml": nil,
        "0xff0xfe__DVWA__appspec.yml": nil,
        "100-hours-a-week__19-Respec-BE__appspec.yml": nil,
        "LeoNunes__RooksAndWallsServer__aws__appspec.yml": nil,
        "ashnike__bipoflask__appspec.yml": nil,
        "aws-samples__aws-codebuild-samples__appspec.yml": nil,
        "aws-samples__aws-codedeploy-samples__applications__SampleApp_Linux__appspec.yml": nil,
        "aws-samples__aws-codedeploy-samples__applications__SampleApp_Windows__appspec.yml": "os: windows is not supported",
        "aws-samples__aws-codedeploy-samples__conf-mgmt__ansible__local-only__appspec.yml": nil,
        "aws-samples__aws-codedeploy-samples__conf-mgmt__chef__solo__appspec.yml": nil,
        "aws-samples__aws-codedeploy-samples__conf-mgmt__puppet__masterless__appspec.yml": nil,
        "aws-samples__aws-codedeploy-samples__conf-mgmt__salt__local-only__appspec.yml": nil,
        "aws-samples__aws-codedeploy-samples__load-balancing__elb-v2__appspec.yml": nil,
        "aws__aws-codedeploy-agent__features__resources__sample_app_bundle_linux__appspec.yml": nil,
        "aws__aws-codedeploy-agent__features__resources__sample_app_bundle_linux__appspec_override_file_exists_behavior_retain.yaml": nil,
        "aws__aws-codedeploy-agent__features__resources__sample_custom_event_app_bundle_linux__appspec.yml": "unknown lifecycle event 'CustomEvent'",
        "rs0fox__html-pipeline__appspec.yml": nil,
        "ecs-lambda/SubrahmanyamRaparti__PetClinicApplication__application__appspec.yaml.tpl": "ECS or Lambda appspec",
        "ecs-lambda/toluna-terraform__terraform-aws-lambda-pipeline__templates__appspec.json.tpl": "ECS or Lambda appspec",
    ]

    @Test func everyCompatFileHasAnExpectedOutcome() throws {
        let fm = FileManager.default
        let top = try fm.contentsOfDirectory(atPath: Self.compat).filter { !$0.hasPrefix(".") && $0 != "ecs-lambda" }
        let ecs = try fm.contentsOfDirectory(atPath: Self.compat + "/ecs-lambda").map { "ecs-lambda/" + $0 }
        #expect(Set(top + ecs) == Set(Self.expected.keys))
        #expect(top.count == 17 && ecs.count == 2)
    }

    @Test(arguments: expected.keys.sorted())
    func parses(_ name: String) throws {
        let text = try String(contentsOfFile: Self.compat + "/" + name, encoding: .utf8)
        let (spec, diagnostics) = AppSpec.parse(contents: text, file: name)
        let errors = diagnostics.filter { $0.severity == .error }
        if let expectedError = Self.expected[name] ?? nil {
            #expect(spec == nil)
            #expect(errors.count == 1, "\(errors)")
            #expect(errors.first?.message.contains(expectedError) == true, "\(errors)")
            #expect(errors.first?.line ?? 0 > 1 || name.hasSuffix(".tpl"))
        } else {
            #expect(errors.isEmpty, "\(errors)")
            #expect(spec?.os == "linux")
        }
    }

    @Test func tutorialOverwriteKeyWarnsWithItsPosition() throws {
        let name = "0pointr__aws-bootstrap__appspec.yml"
        let text = try String(contentsOfFile: Self.compat + "/" + name, encoding: .utf8)
        let (spec, diagnostics) = AppSpec.parse(contents: text, file: name)
        let warning = try #require(diagnostics.first { $0.severity == .warning })
        #expect(warning.message.contains("unknown key 'overwrite'"))
        #expect(warning.line == 6 && warning.keyPath == "files[0].overwrite")
        #expect(spec?.files == [FileMapping(source: "/", destination: "/home/ec2-user/app")])
        #expect(spec?.scripts(for: .applicationStop) == [HookScript(location: "scripts/application_stop.sh", timeout: 300, runas: "ec2-user")])
        #expect(spec?.permissions.first?.pattern == "**")
    }

    @Test func retainOverrideAndAllNineEvents() throws {
        let name = "aws__aws-codedeploy-agent__features__resources__sample_app_bundle_linux__appspec_override_file_exists_behavior_retain.yaml"
        let spec = try #require(AppSpec.parse(contents: try String(contentsOfFile: Self.compat + "/" + name, encoding: .utf8), file: name).spec)
        #expect(spec.fileExistsBehavior == .retain)
        #expect(Set(spec.hooks.keys) == Set(LifecycleEvent.allCases))
        #expect(spec.scripts(for: .validateService).first?.timeout == 3600)
    }

    @Test func lambdaJSONIsRefusedSayingWhy() throws {
        let name = "ecs-lambda/toluna-terraform__terraform-aws-lambda-pipeline__templates__appspec.json.tpl"
        let (_, diagnostics) = AppSpec.parse(contents: try String(contentsOfFile: Self.compat + "/" + name, encoding: .utf8), file: name)
        #expect(diagnostics.first?.message.contains("Slipway deploys to Linux hosts") == true)
        #expect(diagnostics.first?.line == 3)
    }

    @Test func modeStaysOctalAndJSONParses() throws {
        let yaml = "version: 0.0\nos: linux\npermissions:\n  - object: /srv/app\n    mode: 0644\n    type: [file]\n"
        let spec = try #require(AppSpec.parse(contents: yaml, file: "a.yml").spec)
        #expect(spec.permissions.first?.mode == 0o644)
        #expect(spec.permissions.first?.types == [.file])
        let json = "{\n\t\"version\": 0.0, \"os\": \"linux\",\n\t\"hooks\": {\"AfterInstall\": [{\"location\": \"a.sh\", \"timeout\": 5}]}}"
        let parsed = try #require(AppSpec.parse(contents: json, file: "a.json").spec)
        #expect(parsed.scripts(for: .afterInstall) == [HookScript(location: "a.sh", timeout: 5)])
    }

    @Test func preciseErrors() {
        let text = "version: 0.0\nos: linux\nhooks:\n  afterinstall:\n    - location: x.sh\n  BeforeInstall:\n    - timeout: abc\n    - location: y.sh\n      timeout: abc\npermissions:\n  - object: /a\n    mode: rw\n"
        let (spec, diagnostics) = AppSpec.parse(contents: text, file: "bad.yml")
        #expect(spec == nil)
        let messages = diagnostics.map(\.description)
        #expect(messages.contains { $0.hasPrefix("bad.yml:4:3: error: unknown lifecycle event 'afterinstall'") && $0.contains("did you mean 'AfterInstall'") })
        #expect(messages.contains { $0.contains("missing 'location'") && $0.contains("hooks.BeforeInstall[0].location") })
        #expect(messages.contains { $0.contains("timeout 'abc'") })
        #expect(messages.contains { $0.contains("bad.yml:12:11: error: mode 'rw'") })
    }
}
