/// One host of a command's `--json` output: the fields every command reports about a host,
/// then the command's own fields (`Detail`) in the same object.
struct HostRecord<Detail: Encodable>: Encodable {
    var host: String
    var address: String
    var port: Int
    var ok: Bool
    var error: String?
    var errorKind: String?
    var durationSeconds: Double
    var detail: Detail?

    /// The record of `outcome`; `ok` judges a value (a command's exit status), `detail` shows it.
    init<Value>(_ outcome: HostFanOut.Outcome<Value>, ok: (Value) -> Bool, detail: (Value) -> Detail) {
        host = outcome.target.name
        address = outcome.target.address
        port = outcome.target.port
        durationSeconds = (outcome.duration.seconds * 1000).rounded() / 1000
        switch outcome.result {
        case .success(let value):
            self.ok = ok(value)
            self.detail = detail(value)
        case .failure(let failure):
            self.ok = false
            error = "\(failure)"
            errorKind = (failure as? SSHError)?.kind.rawValue
        }
    }

    private enum CodingKeys: String, CodingKey {
        case host, address, port, ok, error, errorKind, durationSeconds
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(host, forKey: .host)
        try container.encode(address, forKey: .address)
        try container.encode(port, forKey: .port)
        try container.encode(ok, forKey: .ok)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(errorKind, forKey: .errorKind)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try detail?.encode(to: encoder)
    }
}
