fn main() {
    std::process::exit(flopmeter::main_with_args());
}
