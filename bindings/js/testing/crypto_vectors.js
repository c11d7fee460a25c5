// Published test vectors for crypto_test.js, as hex strings. Each block names its source; every
// value was transcribed from that document (and cross-checked with an independent implementation
// when this file was written).

// FIPS 180-2, appendices A-C (SHA-1, SHA-256, SHA-384, SHA-512 of "abc" and the 448-bit message).
export const SHA = [
  { hash: "SHA-1", message: "abc", digest: "a9993e364706816aba3e25717850c26c9cd0d89d" },
  { hash: "SHA-1", message: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", digest: "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
  { hash: "SHA-256", message: "abc", digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
  { hash: "SHA-256", message: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  { hash: "SHA-384", message: "abc", digest: "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
  { hash: "SHA-512", message: "abc", digest:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd" +
      "454d4423643ce80e2a9ac94fa54ca49f" },
];

// RFC 4231 (HMAC-SHA-256/384/512), test cases 1, 2 and 6.
export const HMAC = [
  { case: "1", hash: "SHA-256", key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", data: "4869205468657265", mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
  { case: "1", hash: "SHA-384", key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", data: "4869205468657265", mac: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6" },
  { case: "1", hash: "SHA-512", key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", data: "4869205468657265", mac:
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4" +
      "be9d914eeb61f1702e696c203a126854" },
  { case: "2", hash: "SHA-256", key: "4a656665", data: "7768617420646f2079612077616e7420666f72206e6f7468696e673f", mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
  { case: "6", hash: "SHA-256", key:
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", data:
      "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579" +
      "204669727374", mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
];

// NIST SP 800-38A: F.2.1 and F.2.5 (CBC-AES128/256), F.5.1 and F.5.5 (CTR-AES128/256).
export const SP800_38A = {
  plaintext:
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef" +
      "f69f2445df4f9b17ad2b417be66c3710",
  key128: "2b7e151628aed2a6abf7158809cf4f3c",
  key256: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
  iv: "000102030405060708090a0b0c0d0e0f",
  counter: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
  cbc128:
      "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e22229516" +
      "3ff1caa1681fac09120eca307586e1a7",
  cbc256:
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461" +
      "b2eb05e2c39be9fcda6c19078c6a9d1b",
  ctr128:
      "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab" +
      "1e031dda2fbe03d1792170a0f3009cee",
  ctr256:
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988d" +
      "dfc9c58db67aada613c2dd08457941a6",
};

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B: test cases 2-5 and 16.
export const GCM = [
  { case: "2", key: "00000000000000000000000000000000", iv: "000000000000000000000000", plaintext: "00000000000000000000000000000000", aad: "",
    ciphertext: "0388dace60b6a392f328c2b971b2fe78", tag: "ab6e47d42cec13bdf53a67b21257bddf" },
  { case: "3", key: "feffe9928665731c6d6a8f9467308308", iv: "cafebabefacedbaddecaf888", plaintext:
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
      "b16aedf5aa0de657ba637b391aafd255", aad: "",
    ciphertext:
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
      "1ba30b396a0aac973d58e091473f5985", tag: "4d5c2af327cd64a62cf35abd2ba6fab4" },
  { case: "4", key: "feffe9928665731c6d6a8f9467308308", iv: "cafebabefacedbaddecaf888", plaintext:
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
      "b16aedf5aa0de657ba637b39", aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    ciphertext:
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05" +
      "1ba30b396a0aac973d58e091", tag: "5bc94fbc3221a5db94fae95ae7121a47" },
  { case: "5", key: "feffe9928665731c6d6a8f9467308308", iv: "cafebabefacedbad", plaintext:
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
      "b16aedf5aa0de657ba637b39", aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    ciphertext:
      "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b42" +
      "4989b5e1ebac0f07c23f4598", tag: "3612d2e79e3b0785561be14aaca2fccb" },
  { case: "16", key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", iv: "cafebabefacedbaddecaf888", plaintext:
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525" +
      "b16aedf5aa0de657ba637b39", aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    ciphertext:
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838" +
      "c5f61e6393ba7a0abcc9f662", tag: "76fc6ece0f4e1768cddf8853bb2d551b" },
];

// RFC 3394 §4.1: wrap 128 bits of key data with a 128-bit KEK.
export const AES_KW = { kek: "000102030405060708090a0b0c0d0e0f", keyData: "00112233445566778899aabbccddeeff",
  wrapped: "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5" };

// RFC 6070 (PBKDF2-HMAC-SHA1) and RFC 7914 §11 (PBKDF2-HMAC-SHA256); strings are ASCII.
export const PBKDF2 = [
  { hash: "SHA-1", password: "password", salt: "salt", iterations: 1, bits: 160, key: "0c60c80f961f0e71f3a9b524af6012062fe037a6" },
  { hash: "SHA-1", password: "password", salt: "salt", iterations: 2, bits: 160, key: "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957" },
  { hash: "SHA-1", password: "password", salt: "salt", iterations: 4096, bits: 160, key: "4b007901b765489abead49d926f721d065a429c1" },
  { hash: "SHA-1", password: "passwordPASSWORDpassword", salt: "saltSALTsaltSALTsaltSALTsaltSALTsalt", iterations: 4096, bits: 200, key: "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038" },
  { hash: "SHA-1", password: "pass\u0000word", salt: "sa\u0000lt", iterations: 4096, bits: 128, key: "56fa6aa75548099dcc37d7f03425e0c3" },
  { hash: "SHA-256", password: "passwd", salt: "salt", iterations: 1, bits: 512, key:
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef31" +
      "7c71b845b1e30bd509112041d3a19783" },
];

// RFC 5869 appendix A: test cases 1 and 3 (SHA-256) and 4 (SHA-1).
export const HKDF = [
  { hash: "SHA-256", ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", salt: "000102030405060708090a0b0c", info: "f0f1f2f3f4f5f6f7f8f9", bits: 336, okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865" },
  { hash: "SHA-256", ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", salt: "", info: "", bits: 336, okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" },
  { hash: "SHA-1", ikm: "0b0b0b0b0b0b0b0b0b0b0b", salt: "000102030405060708090a0b0c", info: "f0f1f2f3f4f5f6f7f8f9", bits: 336, okm: "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896" },
];

// RFC 6979 appendix A.2.5 (P-256) and A.2.6 (P-384): keys and deterministic signatures r || s.
export const ECDSA = {
  "P-256": {
    d: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
    x: "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
    y: "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
    signatures: [
      { hash: "SHA-256", message: "sample", r: "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716", s: "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
      { hash: "SHA-256", message: "test", r: "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367", s: "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083" },
    ],
  },
  "P-384": {
    d: "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5",
    x: "ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13",
    y: "8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720",
    signatures: [
      { hash: "SHA-384", message: "sample", r: "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46", s: "99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8" },
    ],
  },
};

// RFC 5903 §8.1 (P-256) and §8.2 (P-384): i, g^i, g^r and the shared secret's x coordinate.
export const ECDH = {
  "P-256": {
    i: "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
    gix: "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
    giy: "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
    grx: "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
    gry: "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
    girx: "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
  },
  "P-384": {
    i: "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
    gix: "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa",
    giy: "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c",
    grx: "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571",
    gry: "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
    girx: "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746",
  },
};

// RFC 8032 §7.1: Ed25519 TEST 1, 2 and 3 (secret key, public key, message, signature).
export const ED25519 = [
  { secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b" +
      "d25bf5f0595bbe24655141438e7a100b" },
  { secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c" +
      "387b2eaeb4302aeeb00d291612bb0c00" },
  { secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659" +
      "4a7c15e9716ed28dc027beceea1ec40a" },
];

// RFC 7748 §6.1: X25519 key agreement (Alice's and Bob's keys, the shared secret K).
export const X25519 = {
  alicePrivate: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
  alicePublic: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
  bobPrivate: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
  bobPublic: "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
  shared: "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
};

// Wycheproof (C2SP/wycheproof) testvectors/rsa_signature_2048_sha256_test.json (RSASSA-PKCS1-v1_5,
// tcId 1 and 3 valid, tcId 9 invalid) and testvectors_v1/rsa_pss_2048_sha256_mgf1_32_test.json
// (RSA-PSS, SHA-256, MGF1-SHA-256, salt 32, tcId 1 and 3); both files use the same 2048-bit key.
export const RSA = {
  spki:
      "30820122300d06092a864886f70d01010105000382010f003082010a0282010100a2b451a07d0aa5f96e455671513550" +
      "514a8a5b462ebef717094fa1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89d6eac88450" +
      "97b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e254a2fe9765313a03eff8f17e1a029" +
      "397a1fa26a8dce26f490ed81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08d945a12be82de4d1ece" +
      "6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f48698bcbba1b4d9cae79d460" +
      "d8f9f85e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf7820283f742b9" +
      "d50203010001",
  n:
      "orRRoH0KpfluRVZxUTVQUUqKW0YuvvcXCU-h_ugiJOY3-XRtP3yv0xh42AMltu9aFwD2WQO0aUKeidbqyIRQl7WrOTGJ25JR" +
      "LtincRoSU_rNIPecFegkfz0-QuRuSMmOJUov6XZTE6A-_48X4aApOXofomqNzib0kO2BKZYV2YFMItphBCjgnH2WWFlCZvXA" +
      "IdD87KCNlFoSvoLeTR7Oa0wDFFtdNJXU7VQR64eNrwX9evw-Ca2g8RJkIvWQl1oZaYFvSGmLy7obTZyuedRg2Pn4Xnl1AF2b" +
      "wixOWsD3waRdElaaYoB9O5oC5aUw53MGb0U9H1tMLpz3ggKD90K51Q",
  e: "AQAB",
  pkcs1: [
    { message: "", signature:
      "840f5dac53106dd1f9c57219224cf51289290c42f20466875ba8e830ac5690e541536fcc8ab03b731f82bf66d83f194e" +
      "7e180b3963ec7a2f3f7904a7ce49aed47da4d4b79421eaf937d301b3e696169297b797c32c076a12be4de0b58e003c51" +
      "23051a84a10c62f8dac2f42a8640008eb3c7cccd6760ff5b51b689763922582845f048fb8150e5a7a6ca2eccc7bdc853" +
      "49ad5b26c52137a79fa3fe5c29ab5cd7615013219c1941b6708e9c3c23feff5febaf0c8ebca5750b54e3e6e99a3e876b" +
      "396f27860b7f3ec4e9191703c6332d944f6f69751167680c79c4f6b57f1cc8755d24b6ec158ccdbacdb23107a33cb6b3" +
      "32516c13274d1f9dccc21dced869e486" },
    { message: "54657374", signature:
      "264491e844c119f14e425c03282139a558dcdaeb82a4628173cd407fd319f9076eaebc0dd87a1c22e4d17839096886d5" +
      "8a9d5b7f7aeb63efec56c45ac7bead4203b6886e1faa90e028ec0ae094d46bf3f97efdd19045cfbc25a1abda2432639f" +
      "9876405c0d68f8edbf047c12a454f7681d5d5a2b54bd3723d193dbad4338baad753264006e2d08931c4b8bb79aa1c9ca" +
      "d10eb6605f87c5831f6e2b08e002f9c6f21141f5841d92727dd3e1d99c36bc560da3c9067df99fcaf818941f72588be3" +
      "3032bad22caf6704223bb114d575b6d02d9d222b580005d930e8f40cce9f672eebb634a20177d84351627964b83f2053" +
      "d736a84ab1a005f63bd5ba943de6205c" },
  ],
  pkcs1Invalid: { message: "313233343030", signature:
      "8a0e82d4f334aca72a718b6f8f643f69c6048d619d5eba71263a5d2d3ac7a7af133b780c7595ca2c982c006e861948f5" +
      "43cd0210c758691f9626842c25de2843ea314ca8eff285d47e0cffa54180af416004017034962a80a5959c3d3f1bfc15" +
      "4a4824462a93c014f6dfe920824f414a6e30e0e5944d480b99949ec7bf64c4a7461575933b17d7d6b0178b5192392ace" +
      "3ed8469e8ac1dacae51ad5d3ad73dcb213e056d04596e64d8c0703def3110c7cecc93ba8ac8059f0f3d66b89d8712c62" +
      "b41d407e4b4a104f4569558b0290c213cad6d0653898b9df8f4a453ab07d13bfb7598d505abbd0c4987e4f1ac66e1a52" +
      "3e113e370ab7cf990f0cc63f50f4f0a4" },
  pss: [
    { message: "", signature:
      "4f01e0c12b08625ecac89a69231906edf826380f37c959a96690d046316d68ffce9d5c471694fcebfc6b455348646892" +
      "56e4fc81c78e583f675d0c94b449647451e81beff01a11a516d5e5ce3f1a910437cb8a3a5096b19fb15f4524a35b23d8" +
      "9cdba12cf5b71aac1047b28c562df7c5542c34ce23a182cf7e0e231934b17294799d44877a1d68ef1b8f073619b7618e" +
      "6b7c22db20030d98cf591ffc3d4da5f58613ecd5ecfc3b40a1d02f40891ca43695cd4c088b05a8054c89c595a47e2748" +
      "16f35384226f74459ee63e25a1bfc03c360490552ec38343f8ace502f065303b00bc0ec320711b211fde92e57feb9013" +
      "c3609342495ec0d7cabdec21e54acc38" },
    { message: "54657374", signature:
      "401eb03cdb47ca88033e3030f6bdecbac8f5c8fc1dd6a13d23d379ed9a2b309891d13d74fea9d21d159b9e6d8f37efa2" +
      "489962e24555f56dd434ff1d31ce4f9f5abd3f22cbea8b691d6a11e44efb83e2bca155e6a164325e0fde2a8865afd5c9" +
      "f51161a9d615f62af7ec2e31b3e5ab649c164490d31d88cfae35b84aea7925690f929a144b6d2f48e8fb894a52deecd1" +
      "b9a6496990c4ecf1588699a42cacd10c53af350514e4291ea9a058e77f101e32c1c0cefa61d945f7bc931f8bd19e7ba3" +
      "169358a60e5a8b0123bc3199b9fdcafe8e519c41ba675491a27b85e44ef2d77277c10fe107293c8290186913bc9a99b6" +
      "40d8da041b64f31eab1d35920985f4a5" },
  ],
};
