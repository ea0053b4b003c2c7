import ArgumentParser
import Foundation
import PassportAudit
import PassportLedger
import PassportModel

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a demo store and walk through the ledger end to end.",
        discussion: "Registers three source systems, appends a battery's passport events, shows a rejected event kept in quarantine, a history, a checkpoint, an offline-verified proof, and a full verify.")

    @Option(help: "Where to create the demo store (replaced if it holds an earlier demo).")
    var store: String = "demo-store"

    static let marker = ".dpp-demo"

    func run() throws {
        try guarded { try runDemo() }
    }

    func runDemo() throws {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: store)
        if fm.fileExists(atPath: dir.path) {
            guard fm.fileExists(atPath: dir.appendingPathComponent(Self.marker).path) else {
                throw LedgerError(.alreadyExists, "\(dir.path) exists and is not a demo store; choose another --store")
            }
            try fm.removeItem(at: dir)
        }
        let origin = "demo.passport-ledger.example/log"
        section("Creating the store \(dir.path)")
        let ledger = try Ledger.create(at: dir, origin: origin)
        _ = fm.createFile(atPath: dir.appendingPathComponent(Self.marker).path, contents: Data())
        print("ledger vkey: \(ledger.vkey)")

        section("Registering source systems (keys 0600 in \(dir.appendingPathComponent("keys").path))")
        for source in ["plm-windchill", "erp-sap", "supplier-portal", "tms-logistics"] {
            print("\(source): \(try ledger.addKey(name: source))")
        }

        let input = dir.appendingPathComponent("demo-input")
        try fm.createDirectory(at: input, withIntermediateDirectories: true)
        let cmrt = """
            Smelter Identification,Metal,Smelter Name,Country,RMI Conformant
            CID001100,Cobalt,Example Cobalt Refinery,Finland,Yes
            CID002050,Tin,Example Tin Smelter,Malaysia,Yes
            CID000401,Tantalum,Example Tantalum Works,Germany,Yes

            """
        try Data(cmrt.utf8).write(to: input.appendingPathComponent("cmrt-acme-2026.csv"))

        let gtin = "09506000134352"
        let model = "01/\(gtin)"
        let batch = "01/\(gtin)/10/LOT-2026-47"
        let plm = [
            #"{"type":"product.registered","subject":"\#(model)","sourceRef":"PRD-4711","createdAt":"2026-11-02T08:00:00Z","data":{"name":"EV battery module 48V 2.1 kWh","manufacturer":"Example Cells GmbH","category":"battery"}}"#,
            #"{"type":"bom.released","subject":"\#(model)","sourceRef":"ECN-2026-0042","createdAt":"2026-11-20T09:15:00+01:00","validFrom":"2026-12-01T00:00:00Z","data":{"revision":"B","lifecycle":"released","lines":[{"part":"CELL-NMC811","quantity":14,"massKg":0.07,"material":"NMC811","supplier":"supplier/ACME"},{"part":"HOUSING-AL","quantity":1,"massKg":1.2,"material":"aluminium"}]},"refs":[{"rel":"declaration","subject":"supplier/ACME","sourceRef":"CMRT-2026"}]}"#,
            #"{"type":"carbon-footprint.declared","subject":"\#(model)","sourceRef":"PCF-2026-B","createdAt":"2026-11-21T10:00:00Z","data":{"totalKgCO2e":129.2,"functionalUnit":"2.1 kWh module","method":"PEFCR batteries v1.2","perLifeCycleStage":{"rawMaterials":92.6,"production":27.1,"distribution":3.4,"endOfLife":6.1}}}"#,
        ]
        let erp = [
            #"{"type":"batch.produced","subject":"\#(batch)","sourceRef":"PO-88121","createdAt":"2026-11-23T16:40:00Z","data":{"quantity":480,"facility":"facility/PLANT-DE-01","productionDate":"2026-11-23","countryOfOrigin":"DE"}}"#,
        ]
        let supplier = [
            #"{"type":"declaration.recorded","subject":"supplier/ACME","sourceRef":"CMRT-2026","createdAt":"2026-11-10T12:00:00Z","validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","data":{"kind":"conflict-minerals","scope":"cobalt, tin, tantalum","template":"RMI CMRT 6.4"},"attachments":[{"path":"cmrt-acme-2026.csv"}]}"#,
            #"{"type":"declaration.recorded","subject":"supplier/ACME","sourceRef":"RC-2026","data":{"kind":"recycled-content","scope":"cobalt","recycledContentPercent":16}}"#,
        ]
        let tms = [
            #"{"type":"shipment.dispatched","subject":"\#(batch)","sourceRef":"SHP-2026-11-0091","createdAt":"2026-11-24T07:30:00Z","data":{"shipmentId":"SHP-2026-11-0091","destination":"FR","carrier":"Example Freight","quantity":120}}"#,
            #"{"type":"shipment.dispatched","subject":"\#(batch)","sourceRef":"SHP-2026-11-0091","createdAt":"2026-11-24T07:30:00Z","data":{"shipmentId":"SHP-2026-11-0091","destination":"FR","carrier":"Example Freight","quantity":120}}"#,
        ]
        section("Appending events: each source's lines are signed with its key, then group-committed")
        var rejected = 0
        for (source, file, lines) in [
            ("plm-windchill", "plm.jsonl", plm), ("erp-sap", "erp.jsonl", erp), ("supplier-portal", "supplier.jsonl", supplier),
            ("tms-logistics", "tms.jsonl", tms),
        ] {
            let data = Array((lines.joined(separator: "\n") + "\n").utf8)
            try Data(data).write(to: input.appendingPathComponent(file))
            let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: input.path))
            let subs = ingestor.submissions(from: data, name: file)
            for (s, o) in zip(subs, try ledger.appendSync(subs)) {
                print(describeOutcome(s, o, format: .text))
                if case .rejected = o { rejected += 1 }
            }
        }
        print("(\(rejected) rejected line kept in quarantine: dpp --store \(store) quarantine list)")

        section("History of the battery model \(model)")
        for r in try ledger.history(try Subject(model)) { print(RecordText.render(r)) }

        section("Latest signed checkpoint (C2SP tlog-checkpoint)")
        print(try ledger.latestCheckpoint(), terminator: "")

        let declaration = try ledger.history(try Subject("supplier/ACME"))[0]
        section("Proof that the conflict-minerals declaration (record \(declaration.index)) is in the log")
        let bundle = try ledger.proofBundle(index: declaration.index)
        print(bundle.text, terminator: "")
        let proofFile = input.appendingPathComponent("record-\(declaration.index).tlog-proof")
        try Data(bundle.text.utf8).write(to: proofFile)
        try Data(declaration.canonicalBytes).write(to: input.appendingPathComponent("record-\(declaration.index).json"))
        try Data((ledger.vkey.description + "\n").utf8).write(to: input.appendingPathComponent("ledger.vkey"))
        let verified = try RecordAudit.verify(
            recordBytes: declaration.canonicalBytes, bundle: try ProofBundle(parsing: String(decoding: try Data(contentsOf: proofFile), as: UTF8.self)),
            ledgerKey: try NoteVerifierKey(parsing: ledger.vkey.description))
        print("offline check with PassportAudit: record \(verified.record.index) is included in tree size \(verified.checkpoint.size) — verified")
        let attachment = declaration.event.attachments[0]
        let blob = try ledger.blob(sha256: attachment.sha256)
        print("its attachment \(attachment.name): \(blob.count) bytes, sha256 \(attachment.sha256)")

        section("Verifying the whole store")
        let report = try ledger.verify()
        if let p = report.problem { throw LedgerError(.notAStore, "demo store failed verification: \(p)") }
        print("intact: \(report.records) records, \(report.checkpoints) checkpoints, \(report.attachments) attachments verified")

        section("Try it yourself")
        print("""
            swift run dpp history \(model) --store \(store)
            swift run dpp record \(declaration.index) --store \(store)
            swift run dpp audit verify --vkey \(input.path)/ledger.vkey --proof \(proofFile.path) --record \(input.path)/record-\(declaration.index).json
            swift run dpp quarantine list --store \(store)
            swift run dpp verify --store \(store)
            """)
    }

    func section(_ title: String) {
        print("\n== \(title)")
    }
}
