// CRC-32 (IEEE 802.3, the checksum of zip, gzip and PNG) for wasm32, without libc: the Wasm half
// of examples/wasm/crc32.js. The JS side copies input into `input_buffer()` (at most
// `capacity()` bytes at a time) and calls `crc32_update(crc, length)` for each piece.
// Built by CMake: clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry (see examples/CMakeLists.txt).

#define CAPACITY 65536

static unsigned char input[CAPACITY];
static unsigned int table[256];
static int table_ready;

static void make_table(void) {
  for (unsigned int n = 0; n < 256; n++) {
    unsigned int c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  table_ready = 1;
}

__attribute__((export_name("input_buffer"))) unsigned char* input_buffer(void) { return input; }

__attribute__((export_name("capacity"))) int capacity(void) { return CAPACITY; }

// Continues a CRC over the first `length` bytes of the input buffer: start with 0.
__attribute__((export_name("crc32_update"))) unsigned int crc32_update(unsigned int crc, int length) {
  if (!table_ready) make_table();
  unsigned int c = crc ^ 0xFFFFFFFFu;
  for (int i = 0; i < length && i < CAPACITY; i++) c = table[(c ^ input[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}
