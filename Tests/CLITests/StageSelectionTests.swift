import Foundation
import SlipwayTestSupport
import Testing

/// `releases --stage` and `rollback --stage` when several pipelines are registered: the stage
/// is found among them, `--pipeline` picks one when several have a stage of that name, and
/// every miss says what was searched. The targets are directories, deployed to by the binary.
@Suite(.tags(.large)) struct StageSelectionTests {
    let directory: TemporaryDirectory
    var dir: String { directory.path }
    var cli: SlipwayCommand { SlipwayCommand(home: dir + "/home") }
    /// A directory with no slipway.yml, where the commands run.
    var elsewhere: String { dir + "/elsewhere" }

    init() throws {
        directory = try TemporaryDirectory("slipway-stages")
        try FileManager.default.createDirectory(atPath: directory.path + "/elsewhere", withIntermediateDirectories: true)
    }

    /// `slipway ARGUMENTS` run in `cwd`.
    func slipway(_ arguments: [String], in cwd: String? = nil) throws -> ProgramOutput {
        try cli.run(arguments, prefix: ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd ?? elsewhere])
    }

    /// Registers `shop` (stages web and staging) and `blog` (stage web), each from its own
    /// slipway.yml.
    func registerTwoPipelines() throws {
        for (name, stages) in [("shop", ["web": dir + "/shop-web", "staging": dir + "/shop-staging"]), ("blog", ["web": dir + "/blog-web"])] {
            let text = "name: \(name)\nstages:\n" + stages.sorted(by: { $0.key > $1.key }).map { "  - name: \($0.key)\n    targets: [\($0.value)]\n" }.joined()
            let file = try directory.write("\(name)/slipway.yml", text)
            let added = try cli.run(["pipeline", "add", file])
            #expect(added.succeeded, "\(added)")
        }
    }

    /// Packs a one-file site and deploys it to `target`; returns the release id.
    @discardableResult
    func deploy(_ version: String, to target: String) throws -> String {
        let source = try directory.directory("src-\(version)")
        try Data(version.utf8).write(to: URL(fileURLWithPath: source + "/index.html"))
        let packed = try cli.run(["artifact", "pack", source])
        #expect(packed.succeeded, "\(packed)")
        let deployed = try cli.run(["deploy", packed.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--target", target, "--json"])
        #expect(deployed.succeeded, "\(deployed)")
        let object = try JSONSerialization.jsonObject(with: Data(deployed.stdout.utf8)) as? [String: Any]
        return try #require(object?["release"] as? String)
    }

    func current(_ target: String) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: target + "/current")).map { ($0 as NSString).lastPathComponent }
    }

    func targets(_ listing: ProgramOutput) throws -> [String] {
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]], "\(listing)")
        return entries.compactMap { $0["target"] as? String }
    }

    @Test func aStageNameTwoPipelinesShareIsRefusedListingThemAndPipelinePicksOne() throws {
        try registerTwoPipelines()
        let shop1 = try deploy("shop one", to: dir + "/shop-web")
        try deploy("shop staging", to: dir + "/shop-staging")
        let blog1 = try deploy("blog one", to: dir + "/blog-web")
        let blog2 = try deploy("blog two", to: dir + "/blog-web")

        for command in [["releases", "--stage", "web"], ["rollback", "--stage", "web"]] {
            let ambiguous = try slipway(command)
            #expect(ambiguous.status == 2, "\(command): \(ambiguous)")
            #expect(ambiguous.stderr.contains("stage 'web' is ambiguous: pipelines blog, shop each have one; pick one with --pipeline blog or --pipeline shop"),
                    "\(command): \(ambiguous.stderr)")
        }
        // The refused rollback changed nothing.
        #expect(current(dir + "/shop-web") == shop1 && current(dir + "/blog-web") == blog2)

        let blog = try slipway(["releases", "--stage", "web", "--pipeline", "blog", "--json"])
        #expect(blog.succeeded, "\(blog)")
        #expect(try targets(blog) == [dir + "/blog-web"])
        let shop = try slipway(["releases", "--stage", "web", "--pipeline", "shop", "--json"])
        #expect(try targets(shop) == [dir + "/shop-web"])
        // A name only one pipeline has needs no --pipeline.
        let staging = try slipway(["releases", "--stage", "staging", "--json"])
        #expect(staging.succeeded, "\(staging)")
        #expect(try targets(staging) == [dir + "/shop-staging"])

        // --pipeline picks the stage a rollback moves: blog's web goes back, shop's stays.
        let back = try slipway(["rollback", "--stage", "web", "--pipeline", "blog", "--json"])
        #expect(back.succeeded, "\(back)")
        #expect(current(dir + "/blog-web") == blog1)
        #expect(current(dir + "/shop-web") == shop1)
    }

    @Test func aMissingStageOrPipelineNamesWhatWasSearched() throws {
        // Nothing registered, no ./slipway.yml.
        let nothing = try slipway(["releases", "--stage", "web"])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("no stage 'web': there is no ./slipway.yml here and no pipeline is registered"), "\(nothing.stderr)")
        let unregistered = try slipway(["rollback", "--stage", "web", "--pipeline", "blog"])
        #expect(unregistered.status == 2 && unregistered.stderr.contains("no pipeline 'blog'; none is registered (slipway pipeline add)"),
                "\(unregistered.stderr)")

        try registerTwoPipelines()
        for command in [["releases", "--stage", "production"], ["rollback", "--stage", "production"]] {
            let missing = try slipway(command)
            #expect(missing.status == 2, "\(command): \(missing)")
            #expect(missing.stderr.contains("no stage 'production' in the registered pipelines (searched blog, shop) and no ./slipway.yml here"),
                    "\(command): \(missing.stderr)")
        }
        let noSuchStage = try slipway(["rollback", "--stage", "production", "--pipeline", "blog"])
        #expect(noSuchStage.status == 2 && noSuchStage.stderr.contains("pipeline blog has no stage 'production'; its stages: web"), "\(noSuchStage.stderr)")
        let noSuchPipeline = try slipway(["releases", "--stage", "web", "--pipeline", "docs"])
        #expect(noSuchPipeline.status == 2 && noSuchPipeline.stderr.contains("no pipeline 'docs'; registered: blog, shop"), "\(noSuchPipeline.stderr)")
        let both = try slipway(["releases", "--stage", "web", "--pipeline", "blog", "--file", dir + "/blog/slipway.yml"])
        #expect(both.status == 2 && both.stderr.contains("give --pipeline or --file, not both"), "\(both.stderr)")
        let pipelineAlone = try slipway(["rollback", "--pipeline", "blog"])
        #expect(pipelineAlone.status == 2 && pipelineAlone.stderr.contains("give --stage too"), "\(pipelineAlone.stderr)")
        let badFile = try slipway(["releases", "--stage", "production", "--file", dir + "/shop/slipway.yml"])
        #expect(badFile.status == 2 && badFile.stderr.contains("\(dir)/shop/slipway.yml has no stage 'production'; its stages: web, staging"),
                "\(badFile.stderr)")
    }

    /// In a checkout, its own slipway.yml is the one meant, as before any pipeline was registered.
    @Test func theSlipwayFileHereComesBeforeTheRegisteredPipelines() throws {
        try registerTwoPipelines()
        let here = try directory.directory("checkout")
        _ = try directory.write("checkout/slipway.yml", "name: site\nstages:\n  - name: web\n    targets: [\(dir)/site-web]\n")
        try deploy("site", to: dir + "/site-web")
        let listing = try slipway(["releases", "--stage", "web", "--json"], in: here)
        #expect(listing.succeeded, "\(listing)")
        #expect(try targets(listing) == [dir + "/site-web"])
    }
}
