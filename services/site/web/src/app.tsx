export function App() {
  return <main>LZY</main>;
}
