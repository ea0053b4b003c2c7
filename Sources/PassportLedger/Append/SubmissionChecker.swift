import PassportAudit
import PassportModel

extension Ledger {
    /// The order-independent checks of submissions — each signature against the registered key,
    /// each event's data against its type — run by the ledger wherever the caller parses, so an
    /// ingest layer can do them in the same parallel pass as parsing (``Ledger/append(_:)`` then
    /// checks only what depends on order). Only the ledger fills in the result, so no caller can
    /// claim a signature was checked.
    public struct SubmissionChecker: Sendable {
        let keys: [String: NoteVerifierKey]
        let governance: Bool

        /// The submission with the ledger's checks done.
        public func check(_ submission: Submission) -> Submission {
            var s = submission
            s.prechecked = Ledger.precheck(s, keys: keys, governance: governance)
            return s
        }
    }

    /// A checker with the keys registered now.
    /// - Throws: ``LedgerError`` if the key table cannot be read.
    public func submissionChecker() throws -> SubmissionChecker {
        SubmissionChecker(keys: Dictionary(uniqueKeysWithValues: try keys().map { ($0.reference, $0.vkey) }), governance: options.governance)
    }
}
