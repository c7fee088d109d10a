// Package userdata composes and decodes cloud-init user data: MIME
// multipart documents of ordered parts (cloud-config, shell scripts,
// boothooks, ...), optionally gzip'd and base64-encoded, within EC2's
// 16384-byte limit.
//
// # Composing
//
// A [Document] is an ordered list of [Part] values. [Document.Encode] turns
// it into bytes that cloud-init reads back as exactly those parts:
//
//   - the output is deterministic: the same document and [Options] give the
//     same bytes on every run and machine (the MIME boundary is derived from
//     the content and checked never to occur in any part; gzip has no name
//     and no modification time, and its DEFLATE data, from udkit's own
//     encoder, is never larger than what gzip -9 makes of our corpus, or
//     within 1 % of zopfli with [CompressionMax]);
//   - the MIME structure uses CRLF line endings only, and MIME-Version is in
//     the first 4096 bytes, where cloud-init looks for it;
//   - part bodies are never altered: a body that is 7-bit clean text is sent
//     as 7bit, any other body as base64, because cloud-init's parser turns
//     raw non-ASCII bytes into something else;
//   - a document over the size limit is an error ([*SizeError]) that lists
//     the size of every part and of the gzip'd document, never a truncation.
//
// [Lint] reports documents that cloud-init would accept but that do not do
// what their author most likely meant (parts replacing each other's
// cloud-config keys, duplicate filenames, scripts that run in another order
// than the parts are listed).
//
// # Decoding
//
// [Decode] accepts what EC2 and cloud-init accept (base64, gzip, MIME
// multipart with per-part transfer encodings and gzip, and single documents
// typed by their first line) and returns the parts cloud-init would act on,
// with the content types, filenames and payload bytes cloud-init's own
// parser (Python's email package under cloudinit.user_data) gives them. Its
// work is bounded by [Limits]: inflation, input size, number of parts and
// nesting depth are capped, so hostile input is an error, never a hang or
// unbounded memory. gzip is inflated with Python's acceptance rules too (a
// stream cloud-init rejects is rejected, and the other way round).
//
// Include and archive parts are not expanded. A text/x-include-url or
// text/x-include-once-url part (or a document starting #include or
// #include-once) and a text/cloud-config-archive part (or a document
// starting #cloud-config-archive) are each reported as one part, with that
// content type and their body unchanged. On a boot, cloud-init instead
// fetches the URLs and acts on the parts of what it fetched, and turns each
// archive entry into a part of its own, so the parts it acts on (and the
// part-NNN names it gives parts without a filename after them) differ from
// what Decode lists. Decode never touches the network. udkit inspect lists
// the same parts, and the tests compare Decode with cloud-init's parser
// with its include and archive expansion turned off, so both sides report
// these parts unexpanded.
//
// # Known differences from cloud-init
//
// Decode gives cloud-init's parts on every input, with these exceptions,
// where it returns an error although cloud-init's parser returns parts.
// The tests (TestDecodeDifferential, TestDecodeMatchesCloudInit) fail on
// any other such disagreement; the names in parentheses are the test's.
//
//   - message/* documents and message/delivery-status parts
//     (message-parts): a message/rfc822 (or other message/*) part inside a
//     multipart is decoded as cloud-init walks it: the part itself (no
//     payload), the parts of the message inside it, and those parts again
//     as cloud-init attaches them one by one (a gzip part first still
//     compressed). Decode refuses a document that is itself message/*
//     (cloud-init reports it under the type of the last part it processed)
//     and message/delivery-status parts; its error says "parts are not
//     supported".
//   - A corrupt gzip document (corrupt-gzip-document): when the whole
//     document starts with the gzip magic bytes but does not inflate,
//     cloud-init falls back to the compressed bytes and hands them on as
//     one text/x-not-multipart part, which no handler acts on. Decode
//     reports the corrupt gzip instead.
//   - Uuencoded parts (uuencode): Content-Transfer-Encoding x-uuencode,
//     uuencode, uue or x-uue; Python decodes them, Decode refuses them.
//   - RFC 2231 parameters (rfc2231-charset) in a charset other than UTF-8,
//     US-ASCII and Latin-1, or with a continuation number too large for an
//     int: Python decodes them (with its codec registry), Decode refuses
//     them.
//   - Limits (limits): input beyond a [Limits] field is refused; cloud-init
//     has no such caps.
//
// The package uses the standard library only and builds with
// CGO_ENABLED=0.
package userdata
