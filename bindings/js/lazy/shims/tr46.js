// tr46's toASCII (UTS #46, https://www.unicode.org/reports/tr46/) on ICU, through
// native.domainToASCII. Only the options the URL standard uses are honoured: beStrict turns on
// CheckHyphens, UseSTD3ASCIIRules and VerifyDnsLength together; CheckBidi and CheckJoiners are
// always on, processing is never transitional. Returns null on failure, as tr46 does.
export function toASCII(domain, options) {
  return native.domainToASCII(domain, options.useSTD3ASCIIRules === true);
}
