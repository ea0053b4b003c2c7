import Foundation
import PassportLedger

/// Media types guessed from file extensions for attachments that do not state one.
public enum MediaTypes {
    /// The media type for a file name, `application/octet-stream` if unknown.
    public static func guess(_ name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "pdf": "application/pdf"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "xls": "application/vnd.ms-excel"
        case "csv": "text/csv"
        case "xml": "application/xml"
        case "json": "application/json"
        case "txt": "text/plain"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "zip": "application/zip"
        default: "application/octet-stream"
        }
    }
}
