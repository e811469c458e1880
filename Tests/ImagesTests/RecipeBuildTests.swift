import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

/// `ImageStore.build(recipe:)` with small recipes written here: parents and layers, the
/// recipe digest that lets an unchanged recipe skip its build, and bad recipe directories.
@Suite("Image recipes: parents, layers, recipe digests", .tags(.medium))
struct RecipeBuildTests {
    /// A scratch directory with recipes `base` (a whole tree) and `child` (a layer on base).
    /// Each build appends its name to `runs`, so a test can tell whether a build ran.
    struct Recipes {
        let scratch: TemporaryDirectory
        var store: ImageStore { ImageStore(home: scratch.home) }
        var base: String { scratch.path + "/recipes/base" }
        var child: String { scratch.path + "/recipes/child" }
        var runs: [String] {
            ((try? String(contentsOfFile: scratch.path + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        init() throws {
            scratch = try TemporaryDirectory("slipway-recipes")
            let runs = scratch.path + "/runs"
            _ = try scratch.write("recipes/base/build", """
                #!/bin/sh
                set -e
                echo base >> '\(runs)'
                t=$(mktemp -d)
                mkdir -p "$t/etc" "$t/bin" "$t/gone-dir"
                echo kept > "$t/etc/kept"; echo original > "$t/etc/changed"; echo bye > "$t/etc/gone"
                echo inner > "$t/gone-dir/file"
                tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$1" -C "$t" .
                rm -rf "$t"
                """, mode: 0o755)
            _ = try scratch.write("recipes/child/parent", "../base\n")
            _ = try scratch.write("recipes/child/build", """
                #!/bin/sh
                set -e
                echo child >> '\(runs)'
                test -f "$SLIPWAY_PARENT_ROOTFS/etc/kept"
                t=$(mktemp -d)
                mkdir -p "$t/etc"
                echo layered > "$t/etc/changed"; echo "$SLIPWAY_PARENT_IMAGE" > "$t/etc/parent-image"
                : > "$t/etc/.wh.gone"; : > "$t/.wh.gone-dir"
                tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$1" -C "$t" .
                rm -rf "$t"
                """, mode: 0o755)
        }
    }

    @Test("a recipe with a parent is a layer on the parent's tree, whose files it shares as hard links")
    func layered() throws {
        let recipes = try Recipes()
        let child = try recipes.store.build(recipe: recipes.child)
        let base = try recipes.store.resolve("base")
        #expect(recipes.runs == ["base", "child"])
        #expect(child.reference == "child:latest")
        #expect(child.parent == base.digest)
        #expect(child.layers.count == 2 && child.layers.first == base.layers.first)
        // The size counts the parent's files and the layer's ("layered\n" and the parent digest).
        #expect(child.size == base.size + 8 + Int64("\(base.digest)\n".utf8.count), "\(child.size) on \(base.size)")
        let tree = try snapshot(child.rootfs)
        #expect(tree["etc/kept"] == "file:kept\n")
        #expect(tree["etc/changed"] == "file:layered\n")
        #expect(tree["etc/parent-image"] == "file:\(base.digest)\n")
        #expect(tree["etc/gone"] == nil && tree["gone-dir"] == nil && tree["etc/.wh.gone"] == nil)
        // The parent is untouched, and an unchanged file is the same inode in both trees.
        let parentTree = try snapshot(base.rootfs)
        #expect(parentTree["etc/changed"] == "file:original\n" && parentTree["etc/gone"] == "file:bye\n")
        #expect(parentTree["gone-dir/file"] == "file:inner\n")
        var a = stat(), b = stat()
        #expect(stat(base.rootfs + "/etc/kept", &a) == 0 && stat(child.rootfs + "/etc/kept", &b) == 0)
        #expect(a.st_ino == b.st_ino)
        // The same layer on the same parent is the same image.
        let again = try recipes.store.build(recipe: recipes.child, reference: "child:again", force: true)
        #expect(again.digest == child.digest)
    }

    @Test("an unchanged recipe is not built again; a changed file or parent, or --force, rebuilds it")
    func skipsUnchanged() throws {
        let recipes = try Recipes()
        var steps: [String] = []
        let first = try recipes.store.build(recipe: recipes.child) { steps.append("\($0)") }
        #expect(steps.contains { $0.hasPrefix("running") } && steps.contains { $0.hasPrefix("built") })
        steps = []
        let started = ContinuousClock.now
        let second = try recipes.store.build(recipe: recipes.child, reference: "child:2") { steps.append("\($0)") }
        #expect(ContinuousClock.now - started < .seconds(10), "nothing ran: it took no longer than reading the store")
        #expect(second.digest == first.digest && second.reference == "child:2")
        #expect(steps.count == 2 && steps.allSatisfy { $0.hasPrefix("unchanged") })
        #expect(recipes.runs == ["base", "child"])
        #expect(try recipes.store.resolve("child").recipe != nil)

        _ = try recipes.scratch.write("recipes/child/notes.txt", "a new file in the recipe\n")
        try recipes.store.build(recipe: recipes.child)
        #expect(recipes.runs == ["base", "child", "child"])

        // A changed parent recipe rebuilds the parent, then the child on it.
        _ = try recipes.scratch.write("recipes/base/notes.txt", "changed\n")
        try recipes.store.build(recipe: recipes.child)
        #expect(recipes.runs == ["base", "child", "child", "base", "child"])

        try recipes.store.build(recipe: recipes.child, force: true)
        #expect(recipes.runs.suffix(1) == ["child"] && recipes.runs.count == 6)
    }

    @Test("the recipe digest covers its files, executable bits, parent and environment inputs")
    func digestInputs() throws {
        let recipes = try Recipes()
        let recipe = try ImageRecipe(directory: recipes.base)
        let plain = try recipe.digest(parentImage: nil, environment: [:])
        #expect(try recipe.digest(parentImage: nil, environment: ["UNRELATED": "1"]) == plain)
        #expect(try recipe.digest(parentImage: nil, environment: ["SOURCE_DATE_EPOCH": "1"]) != plain)
        #expect(try recipe.digest(parentImage: nil, environment: ["DEBIAN_MIRROR": "http://mirror.example/debian"]) != plain)
        #expect(try recipe.digest(parentImage: .of(Data("x".utf8)), environment: [:]) != plain)
        _ = try recipes.scratch.write("recipes/base/helper", "echo\n")
        let withHelper = try recipe.digest(parentImage: nil, environment: [:])
        #expect(withHelper != plain)
        chmod(recipes.base + "/helper", 0o755)
        #expect(try recipe.digest(parentImage: nil, environment: [:]) != withHelper)
    }

    @Test("bad recipes are refused naming the file: no build, a parent that is no recipe, a cycle, a build writing nothing")
    func badRecipes() throws {
        let recipes = try Recipes()
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        let missing = message { _ = try recipes.store.build(recipe: recipes.scratch.path + "/recipes/none") }
        #expect(missing.contains("not an image recipe"), "\(missing)")

        _ = try recipes.scratch.write("recipes/child/parent", "../nowhere\n")
        let noParent = message { _ = try recipes.store.build(recipe: recipes.child) }
        #expect(noParent.contains("child/parent") && noParent.contains("'../nowhere' is not an image recipe"), "\(noParent)")

        _ = try recipes.scratch.write("recipes/child/parent", "../base\n../other\n")
        let twoLines = message { _ = try recipes.store.build(recipe: recipes.child) }
        #expect(twoLines.contains("expected one line"), "\(twoLines)")

        _ = try recipes.scratch.write("recipes/child/parent", "../base\n")
        _ = try recipes.scratch.write("recipes/base/parent", "../child\n")
        let cycle = message { _ = try recipes.store.build(recipe: recipes.child) }
        #expect(cycle.contains("cycle"), "\(cycle)")

        _ = try recipes.scratch.write("recipes/lazy/build", "#!/bin/sh\nexit 0\n", mode: 0o755)
        let lazy = message { _ = try recipes.store.build(recipe: recipes.scratch.path + "/recipes/lazy") }
        #expect(lazy.contains("wrote no tarball"), "\(lazy)")

        _ = try recipes.scratch.write("recipes/failing/build", "#!/bin/sh\nexit 3\n", mode: 0o755)
        let failing = message { _ = try recipes.store.build(recipe: recipes.scratch.path + "/recipes/failing") }
        #expect(failing.contains("exit status 3"), "\(failing)")
        #expect(try recipes.store.list().isEmpty)
    }

    @Test("slipway image build shows progress on stderr, prints the digest, and an unchanged rebuild takes under a second",
          .enabled(if: SlipwayCommand.isBuilt))
    func commandLine() throws {
        let recipes = try Recipes()
        let slipway = SlipwayCommand(home: recipes.scratch.home.path)
        let first = try slipway.run(["image", "build", recipes.child])
        #expect(first.succeeded, "\(first)")
        #expect(first.stdout.hasPrefix("sha256:") && first.stdout.split(separator: "\n").count == 1)
        #expect(first.stderr.contains("base: running its build") && first.stderr.contains("child: running its build on base:latest"), "\(first)")
        #expect(first.stderr.contains("child: built sha256:"), "\(first)")
        #expect(first.stderr.contains("recipes/base: running") && !first.stderr.contains("/../"), "the parent named by its own path: \(first)")
        let started = ContinuousClock.now
        let second = try slipway.run(["image", "build", recipes.child])
        let elapsed = ContinuousClock.now - started
        #expect(second.stdout == first.stdout)
        #expect(second.stderr.contains("child: unchanged since it was built as sha256:"), "\(second)")
        #expect(elapsed < .seconds(10), "an unchanged rebuild took \(elapsed)")
        let inspect = try slipway.run(["image", "inspect", "child"])
        #expect(inspect.stdout.contains("parent:   sha256:") && inspect.stdout.contains("recipe:   sha256:"), "\(inspect)")
    }
}
