// A short list of very common passwords (and service-flavoured ones) to refuse. Compared in lower case.
export const commonPasswords: ReadonlySet<string> = new Set([
  '123456', '123456789', '12345678', 'password', 'qwerty123', 'qwerty', '1q2w3e', '12345',
  '1234567890', '111111', '123123', 'abc123', 'password1', 'iloveyou', '000000', '1234567',
  'dragon', 'monkey', 'letmein', 'football', 'baseball', 'welcome', 'welcome1', 'admin',
  'admin123', 'login', 'princess', 'sunshine', 'master', 'passw0rd', 'shadow', 'superman',
  'qazwsx', 'trustno1', 'starwars', 'whatever', 'freedom', 'hello123', 'charlie', 'donald',
  '654321', '121212', 'zaq12wsx', 'password123', 'password1234', 'password12345', 'qwertyuiop', 'qwertyuiop1',
  '1q2w3e4r5t6y', 'asdfghjkl', '123qwe123qwe', 'letmeinplease', 'changeme123', 'changeme1234', 'administrator', 'welcome12345',
  'welcome2024', 'welcome2025', 'welcome2026', 'password2024', 'password2025', 'password2026', 'summer2024!!', 'winter2025!!',
  'spring2026!!', 'autumn2025!!', '123456789012', '1234567890123', 'qwerty123456', 'abcdefghijkl', 'iloveyou1234', 'football1234',
  'council12345', 'council123456', 'governmentuk', 'london123456', 'manchester123', 'contract1234', 'procurement1', 'procurement123',
  'pioneer12345', 'pioneerpass1', 'localgovernment',
]);
