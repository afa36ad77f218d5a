import ArgumentParser
import Shared

/// A duration on the command line, written as in manifests: `30s`, `500ms`, `2m`, `1h`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var value: Duration

    init?(argument: String) {
        guard let value = DurationText.parse(argument), value > .zero else { return nil }
        self.value = value
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
