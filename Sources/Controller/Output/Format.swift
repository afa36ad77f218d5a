import Foundation

/// Small formatting helpers shared by the commands' output.
public enum Format {
    /// `32.0 MiB`, `512 B`.
    public static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `3d4h`, `5m02s`, `42s`.
    public static func uptime(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let days = total / 86_400, hours = (total % 86_400) / 3600, minutes = (total % 3600) / 60, secs = total % 60
        if days > 0 { return "\(days)d\(hours)h" }
        if hours > 0 { return "\(hours)h\(String(format: "%02d", minutes))m" }
        if minutes > 0 { return "\(minutes)m\(String(format: "%02d", secs))s" }
        return "\(secs)s"
    }

    /// `1.2s`.
    public static func seconds(_ value: Double) -> String { String(format: "%.1fs", value) }

    /// RFC 3339 with fractional seconds in UTC, as `--json` prints times.
    public static func rfc3339(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))

    }

    /// Left-aligned columns, two spaces apart; the header row first.
    public static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: width)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
