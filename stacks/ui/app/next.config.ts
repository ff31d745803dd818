import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // A self-contained server (node server.js) for the container image.
  output: "standalone",
  poweredByHeader: false,
};

export default nextConfig;
