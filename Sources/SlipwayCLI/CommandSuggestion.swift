import ArgumentParser

/// "unknown command 'rnu' (did you mean 'run'?)": the command path is followed word by word
/// while the command reached has subcommands; the first word that names none gets the closest
/// subcommand name by edit distance, if one is close.
enum CommandSuggestion {
    static func check(_ arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root.configuration.commandName ?? "slipway"]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            let names = subcommands.compactMap { $0.configuration.commandName }
            guard let index = names.firstIndex(of: word) else {
                let (best, distance) = names.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 } ?? ("", Int.max)
                let hint = distance <= max(1, word.count / 3) ? " (did you mean '\(best)'?)" : ""
                return "unknown command '\(path.joined(separator: " ")) \(word)'\(hint); see '\(path.joined(separator: " ")) --help'"
            }
            command = subcommands[index]
            path.append(word)
        }
        return nil
    }

    /// Levenshtein distance, with a swap of two neighbours counting as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}
