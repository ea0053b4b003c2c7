import LMDB
import PassportAudit

/// Reads Merkle nodes from the `nodes` database inside a transaction.
struct StoredNodes: MerkleNodeSource {
    let txn: Transaction
    let db: Database

    func subtreeHash(level: Int, index: UInt64) throws -> [UInt8] {
        guard let h = try txn.get(Keys.node(level: level, index: index), in: db), h.count == 32 else {
            throw LedgerError(.notAStore, "the Merkle node at level \(level), index \(index) is missing or damaged; run dpp verify")
        }
        return h
    }
}
