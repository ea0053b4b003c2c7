// QR code benchmarks (issue 9): what one `GET …/qr.svg` or `…/qr.png` costs the server, encoding
// included (libqrencode), for a GS1 Digital Link URI with a serial.
import Benchmark
import PassportQR

let digitalLinkURI = "https://id.example.com/01/09506000134352/21/SN-000123"

func qrBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 100, maxDuration: .seconds(5),
        maxIterations: 20_000)
    Benchmark("QR SVG of a Digital Link URI", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! QRCode(encoding: digitalLinkURI, correction: .medium).svg())
        }
    }
    Benchmark("QR PNG of a Digital Link URI", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! QRCode(encoding: digitalLinkURI, correction: .medium).png())
        }
    }
}
