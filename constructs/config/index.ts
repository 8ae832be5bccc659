export * from './stack-config';
export * from './config-keys';
export * from './closest-key';
export * from './parse-memory';
export * from './validate-config';
export * from './kubernetes-config';
export * from './socket-proxy-config';
export * from './load-config';
