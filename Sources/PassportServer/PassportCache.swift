import Foundation
import PassportLedger
import PassportModel
import Sodium
import Synchronization

/// Current passports, rendered, by subject and view — served again while nothing they rest on
/// can have changed: no write was committed to the store since (by this process or another), no fact
/// they rest on has started or ended in valid time since, and the access tiers are the same.
/// Only the query times in the body are set anew for each request.
final class PassportCache: Sendable {
    struct Rendered: Sendable {
        /// Canonical JSON of the passport.
        var body: [UInt8]
        /// Its entity tag (over everything but the query times).
        let tag: String
        /// Where the `asOf` and `validAt` values (27 bytes each) sit in `body`.
        let asOfAt: Int?
        let validAtAt: Int?

        /// The body with both query times set to `now`.
        func at(_ now: Timestamp) -> [UInt8] {
            var b = body
            let text = Array(now.description.utf8)
            for at in [asOfAt, validAtAt].compactMap({ $0 }) where text.count == 27 { b.replaceSubrange(at..<(at + 27), with: text) }
            return b
        }
    }

    private struct Entry {
        let commit: Int
        let until: Timestamp?
        let policy: AccessPolicy
        let rendered: Rendered
    }

    private struct Key: Hashable {
        let subject: String
        let view: AccessTier
    }

    private let entries = Mutex<(map: [Key: Entry], bytes: Int)>(([:], 0))
    /// At most this many bytes of rendered passports are kept (then the cache starts afresh), so
    /// that a server's memory stays bounded whatever the number of products.
    let capacity: Int

    init(capacity: Int = 32 << 20) { self.capacity = capacity }

    /// Renders a passport: its canonical JSON, its tag, where its query times are.
    static func render(_ p: Passport) -> Rendered {
        let body = CanonicalJSON.encode(p.json)
        let asOfAt = offset(of: "{\"asOf\":\"", in: body, last: false)
        let validAtAt = offset(of: "\"validAt\":\"", in: body, last: true)
        // The tag hashes the body with its two query times blanked: one encoding serves both.
        var tagged = body
        for at in [asOfAt, validAtAt].compactMap({ $0 }) where at + 27 <= tagged.count {
            tagged.replaceSubrange(at..<(at + 27), with: repeatElement(UInt8(ascii: "0"), count: 27))
        }
        let tag = "\"" + Hex.encode(SHA256.hash(tagged).prefix(16)) + "\""
        return Rendered(body: body, tag: tag, asOfAt: asOfAt, validAtAt: validAtAt)
    }

    /// The byte after `marker` (first or last occurrence); canonical JSON escapes quotes inside
    /// strings, so an unescaped `"validAt":"` is a member name. The last one is the top-level one
    /// (members are sorted: `validAt` comes after `passport` and `provenance`).
    static func offset(of marker: String, in body: [UInt8], last: Bool) -> Int? {
        let m = Array(marker.utf8)
        guard body.count >= m.count else { return nil }
        let starts = Array(0...(body.count - m.count))
        for i in (last ? starts.reversed() : starts) where body[i] == m[0] && Array(body[i..<(i + m.count)]) == m {
            return i + m.count
        }
        return nil
    }

    /// The current passport of `subject` in `view` if the cache holds it still: no waiting, no
    /// store access beyond reading `commit` (``Ledger/commitID()``), so it may run on an event loop.
    func cached(_ subject: Subject, view: AccessTier, policy: AccessPolicy, commit: Int, now: Timestamp) -> Rendered? {
        guard let e = entries.withLock({ $0.map[Key(subject: subject.rawValue, view: view)] }), e.commit == commit, e.policy == policy,
            e.until.map({ now < $0 }) ?? true
        else { return nil }
        var r = e.rendered
        r.body = r.at(now)
        return r
    }

    /// The current passport of `subject` in `view`, from the cache when it still holds, else
    /// projected from the store (blocking) and kept.
    func current(_ subject: Subject, view: AccessTier, ledger: Ledger, policy: AccessPolicy, now: Timestamp) throws -> Rendered {
        let commit = try ledger.commitID()
        if let r = cached(subject, view: view, policy: policy, commit: commit, now: now) { return r }
        // Read after the commit ID: a write that lands meanwhile makes the entry look older than
        // it is (recomputed once more), never newer.
        let (full, _, next) = try ledger.passportAndNextChange(subject, asOf: now)
        let rendered = Self.render(full.view(view, policy: policy))
        let key = Key(subject: subject.rawValue, view: view)
        entries.withLock { e in
            if let old = e.map[key] { e.bytes -= old.rendered.body.count }
            if e.bytes + rendered.body.count > capacity { e = ([:], 0) }
            e.map[key] = Entry(commit: commit, until: next, policy: policy, rendered: rendered)
            e.bytes += rendered.body.count
        }
        return rendered
    }
}
