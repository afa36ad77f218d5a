import Foundation

/// Which journal a command uses: a SQLite file on this machine (the default) or a PostgreSQL
/// database shared by a team. Chosen by, first to last: `--journal`, `JOBFLEET_JOURNAL`, the
/// manifest's `journal:`, then `~/.local/state/jobfleet/journal.sqlite`.
public struct JournalLocation: Sendable, Equatable {
    /// The store.
    public enum Store: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(PostgresURL)
    }

    /// Where the choice was made, named in messages so a surprising journal can be traced.
    public enum Source: String, Sendable {
        case option = "--journal"
        case environment = "JOBFLEET_JOURNAL"
        case manifest = "the manifest's journal"
        case standard = "the default"
    }

    public var store: Store
    public var source: Source

    /// The journal chosen from `option` (`--journal`), the environment's `JOBFLEET_JOURNAL`
    /// and the manifest's `journal:` (already made absolute), in that order; empty values
    /// count as unset. A value is a PostgreSQL URL by its scheme, else a file path.
    public static func resolve(option: String?, manifest: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresURLError) -> JournalLocation {
        let candidates: [(String?, Source)] = [(option, .option), (environment["JOBFLEET_JOURNAL"], .environment), (manifest, .manifest)]
        for case let (value?, source) in candidates where !value.isEmpty {
            return JournalLocation(store: try store(value, environment: environment, source: source), source: source)
        }
        return JournalLocation(store: .sqlite(path: SQLiteJournal.standardPath), source: .standard)
    }

    /// `value` as a store; a URL of another scheme is refused (it would otherwise become an odd
    /// file name).
    static func store(_ value: String, environment: [String: String], source: Source) throws(PostgresURLError) -> Store {
        if PostgresURL.isPostgres(value) {
            do {
                return .postgres(try PostgresURL(value, environment: environment))
            } catch {
                throw PostgresURLError("journal URL from \(source.rawValue): \(error.message)")
            }
        }
        if let scheme = value.range(of: "://").map({ value[..<$0.lowerBound] }), !scheme.contains("/") {
            throw PostgresURLError("journal from \(source.rawValue): '\(scheme)://' is not supported; use a SQLite file path or a postgresql:// URL")
        }
        return .sqlite(path: value)
    }

    /// The journal as messages name it: the file, or the masked URL.
    public var description: String {
        switch store {
        case .sqlite(let path): return path
        case .postgres(let url): return url.masked
        }
    }

    /// True for a journal other operators share.
    public var isShared: Bool {
        if case .postgres = store { return true }
        return false
    }
}

extension JournalLocation {
    /// Opens the journal: the SQLite file (created when missing), or a connection to the
    /// database with its schema brought up to date. What is recorded passes through `mask`;
    /// `warn` hears of later writes to a shared journal that failed.
    func open(mask: SecretMask, run: ControllerRun = .current,
              environment: [String: String] = ProcessInfo.processInfo.environment,
              warn: @escaping @Sendable (String) -> Void) async throws -> any JournalStore {
        switch store {
        case .sqlite(let path):
            return try SQLiteJournal(path: path, mask: mask, run: run)
        case .postgres(let url):
            return try await PostgresJournal.open(url, environment: environment, mask: mask, run: run, warn: warn)
        }
    }

    /// The password a shared journal will use, wherever it comes from, so that it can be
    /// hidden from everything printed; nil for SQLite or no password.
    func password(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard case .postgres(let url) = store else { return nil }
        return PostgresCredentials.password(for: url, environment: environment).password
    }
}
