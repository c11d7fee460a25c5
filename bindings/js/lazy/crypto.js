export const crypto = {};
