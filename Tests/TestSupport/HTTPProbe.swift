import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Minimal HTTP GET for checking stand-in services from tests.
public enum HTTPProbe {
    /// GETs `url`, with basic auth when `user` is given. Returns the status code and body, or nil
    /// when nothing answers.
    public static func get(_ url: String, user: String? = nil, password: String? = nil,
                           timeout: TimeInterval = 3) async -> (status: Int, body: String)? {
        guard let target = URL(string: url) else { return nil }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        if let user {
            let token = Data("\(user):\(password ?? "")".utf8).base64EncodedString()
            request.setValue("Basic \(token)", forHTTPHeaderField: "Authorization")
        }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return nil }
            return (http.statusCode, String(decoding: data, as: UTF8.self))
        } catch {
            return nil
        }
    }

    /// Polls `url` until it answers `status` or `deadline` passes; returns whether it did.
    public static func waitFor(_ url: String, status: Int = 200, user: String? = nil, password: String? = nil,
                               within deadline: Duration) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            if let answer = await get(url, user: user, password: password), answer.status == status { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return false
    }
}
